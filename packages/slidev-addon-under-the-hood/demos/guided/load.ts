/**
 * Loads what CLIP-guided generation needs in the browser: the VAE decoder and the CLIP image encoder as
 * TensorFlow.js graphs (written by the pipeline next to their ONNX files), the runtime's tfjs, and the
 * usual CLIP text encoder for the prompt. One copy per window (the runtime's model registry).
 */
import type * as TF from '@tensorflow/tfjs'
import type { Backend } from '../runtime'
import { checkModelFiles, loadModel, loadTf, modelFileUrl, wrapLoad } from '../runtime'
import type { DiffusionConfig } from '../diffusion/sampler'
import type { GraphSpec } from './graph'
import { TfGraph } from './graph'
import type { GuidedModels } from './engine'

async function graph(tf: typeof TF, model: string, name: string): Promise<TfGraph> {
  await checkModelFiles(model, [`tfjs/${name}.json`, `tfjs/${name}.bin`])
  return wrapLoad(model, async () => {
    const spec = await (await fetch(modelFileUrl(model, `tfjs/${name}.json`))).json() as GraphSpec
    const bin = await (await fetch(modelFileUrl(model, `tfjs/${spec.weights}`))).arrayBuffer()
    return new TfGraph(tf, spec, bin)
  })
}

/** `guide`: the CLIP whose image and text encoders steer the picture (a CLIP folder with tfjs/vision_model). */
export interface LoadedGuided { tf: typeof TF, backend: Backend, models: GuidedModels, config: DiffusionConfig, guide: string }

export function loadGuided(demo: string, model = 'micro-diffusion', guide = 'micro-clip'): Promise<LoadedGuided> {
  return loadModel('diffusion', model, demo, async () => {
    const { tf, backend } = await loadTf(demo)
    const config = await wrapLoad(model, async () => (await fetch(modelFileUrl(model, 'config.json'))).json() as Promise<DiffusionConfig>)
    const [decoder, vision] = await Promise.all([graph(tf, model, 'vae_decoder'), graph(tf, guide, 'vision_model')])
    const l = config.latent
    return { tf, backend, config, guide, models: { decoder, vision, scaling: l.scaling_factor, latentShape: [1, l.channels, l.size, l.size] } }
  }, `tfjs-graphs:${guide}`)
}
