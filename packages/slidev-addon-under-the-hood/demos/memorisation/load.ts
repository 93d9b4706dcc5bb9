/**
 * Loads the training art a model folder ships for the memorisation probe (training-images.png + .json),
 * decoded in the browser through a canvas.
 */
import { checkModelFiles, modelFileUrl, wrapLoad } from '../runtime'
import type { AtlasMeta, TrainingSet } from './engine'
import { tilesFromAtlas } from './engine'

const cache = new Map<string, Promise<TrainingSet>>()

export function loadTrainingSet(model = 'micro-diffusion'): Promise<TrainingSet> {
  let p = cache.get(model)
  if (!p) {
    p = load(model)
    cache.set(model, p)
    p.catch(() => cache.delete(model))
  }
  return p
}

async function load(model: string): Promise<TrainingSet> {
  await checkModelFiles(model, ['training-images.json', 'training-images.png'])
  return wrapLoad(model, async () => {
    const meta = await (await fetch(modelFileUrl(model, 'training-images.json'))).json() as AtlasMeta
    const bitmap = await createImageBitmap(await (await fetch(modelFileUrl(model, 'training-images.png'))).blob())
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height)
    const ctx = canvas.getContext('2d', { willReadFrequently: true })!
    ctx.drawImage(bitmap, 0, 0)
    bitmap.close()
    const { data, width, height } = ctx.getImageData(0, 0, canvas.width, canvas.height)
    return tilesFromAtlas(data, width, height, 4, meta)
  })
}
