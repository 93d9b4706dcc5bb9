/**
 * `npm run section-images`: the pictures behind the talk's section openers, made by our own models, and
 * written to public/images/sections/ with a JSON record of how each was made (images.json):
 *   - one wall per section: micro-diffusion's pictures for prompts of that section (seeds fixed);
 *   - "training": micro-GAN's faces from the same noise at each of its training snapshots;
 *   - "denoising": one micro-diffusion generation ("red apple") as a filmstrip, the opener of the talk.
 * Runs in Node on the same engines as the deck (demos/diffusion, demos/dcgan). Re-run after retraining.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadDiffusionNode } from '../packages/slidev-addon-under-the-hood/demos/diffusion/node'
import { checkParams, decodeScaled, generate, generateImage, planarToRgba } from '../packages/slidev-addon-under-the-hood/demos/diffusion/sampler'
import { checkGanConfig, ganNoise, GanSnapshots } from '../packages/slidev-addon-under-the-hood/demos/dcgan/engine'
import { loadOrtNode, nodeSession, SHIPPED_MODELS } from '../packages/slidev-addon-under-the-hood/demos/runtime/node'

const OUT = join(import.meta.dirname, '..', 'public', 'images', 'sections')
const SCALE = 5
const GAP = 8
const BG = '#0f1014'

/** Prompts per section wall: names of training emoji only (no held-out name is used). */
const WALLS: Record<string, string[]> = {
  'cover': ['clapper board', 'movie camera', 'artist palette', 'musical note', 'red apple', 'rocket', 'cat face', 'film frames'],
  'text': ['speech balloon', 'memo', 'notebook', 'open book', 'writing hand', 'envelope', 'speaking head', 'thought balloon'],
  'image': ['red apple', 'framed picture', 'artist palette', 'camera', 'sunrise', 'cat face', 'rainbow', 'tulip'],
  'audio': ['musical note', 'microphone', 'headphone', 'speaker with three sound waves', 'guitar', 'saxophone', 'drum with drumsticks', 'bell'],
  'video': ['movie camera', 'clapper board', 'film frames', 'television', 'cinema', 'video camera', 'film projector', 'popcorn'],
  'ethics': ['balance scale', 'handshake', 'thinking face', 'earth globe europe-africa', 'lock', 'eyes', 'earth globe americas', 'electric light bulb'],
  'wrap': ['party popper', 'clapping hands sign', 'white medium star', 'rocket', 'trophy', 'sparkles', 'waving hand sign', 'shooting star'],
}
const SEEDS = [1, 2, 3, 4]

type Sharp = (typeof import('sharp'))['default']

async function tile(sharp: Sharp, rgba: Uint8ClampedArray, size: number, scale = SCALE): Promise<Buffer> {
  return sharp(Buffer.from(rgba), { raw: { width: size, height: size, channels: 4 } })
    .resize(size * scale, size * scale, { kernel: 'nearest' }).png().toBuffer()
}

async function montage(sharp: Sharp, tiles: Buffer[], cols: number, cell: number, file: string): Promise<void> {
  const rows = Math.ceil(tiles.length / cols)
  await sharp({ create: { width: cols * (cell + GAP) + GAP, height: rows * (cell + GAP) + GAP, channels: 4, background: BG } })
    .composite(tiles.map((input, k) => ({ input, left: GAP + (k % cols) * (cell + GAP), top: GAP + Math.floor(k / cols) * (cell + GAP) })))
    .png().toFile(file)
}

async function main(): Promise<number> {
  mkdirSync(OUT, { recursive: true })
  const sharp = (await import('sharp')).default
  const record: Record<string, unknown> = {}
  const { nets, config } = await loadDiffusionNode(SHIPPED_MODELS)
  const size = config.image.size
  const steps = config.sampling.default_steps
  const guidance = config.sampling.default_guidance
  for (const [name, prompts] of Object.entries(WALLS)) {
    const tiles: Buffer[] = []
    // Columns are prompts, rows are seeds: a wall of 8 x 4 pictures.
    for (const seed of SEEDS) {
      for (const prompt of prompts) {
        const { params } = checkParams({ prompt, seed, steps, guidance })
        const { image } = await generateImage(nets, config, params)
        tiles.push(await tile(sharp, planarToRgba(image, 1, size)[0]!, size))
      }
    }
    await montage(sharp, tiles, prompts.length, size * SCALE, join(OUT, `${name}.png`))
    record[name] = { model: 'micro-diffusion', prompts, seeds: SEEDS, steps, guidance, sampler: 'ddim' }
    console.log(`wrote ${name}.png`)
  }

  // The talk's opener: one generation, noise to picture, as a filmstrip of the predicted final image.
  const { params } = checkParams({ prompt: 'red apple', seed: 7, steps: 12, guidance })
  const frames: Buffer[] = []
  for await (const s of generate(nets, config, params)) {
    const x = await decodeScaled(nets, config, s.xt, 1)
    frames.push(await tile(sharp, planarToRgba(x, 1, size)[0]!, size, 6))
  }
  const last = await generateImage(nets, config, params)
  frames.push(await tile(sharp, planarToRgba(last.image, 1, size)[0]!, size, 6))
  await montage(sharp, frames, frames.length, size * 6, join(OUT, 'denoising.png'))
  record.denoising = { model: 'micro-diffusion', prompt: params.prompt, seed: params.seed, steps: params.steps, guidance, sampler: 'ddim', frames: 'the current noisy picture x_t at each step, then the result' }
  console.log('wrote denoising.png')

  // Training: the same eight noise vectors through each micro-GAN snapshot (rows).
  const ganDir = join(SHIPPED_MODELS, 'micro-gan')
  const gcfg = checkGanConfig(JSON.parse(readFileSync(join(ganDir, 'config.json'), 'utf8')))
  const gan = new GanSnapshots(gcfg, await loadOrtNode(), await Promise.all(gcfg.snapshots.map(s => nodeSession(join(ganDir, s.file)))))
  const z = ganNoise(gcfg.nz, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
  const ganTiles: Buffer[] = []
  for (let k = 2; k < gan.count; k++) {
    for (const im of await gan.images(k, z)) ganTiles.push(await tile(sharp, im, gcfg.image_size))
  }
  await montage(sharp, ganTiles, 10, gcfg.image_size * SCALE, join(OUT, 'training.png'))
  record.training = { model: 'micro-gan', seeds: '1-10', rows: gcfg.snapshots.slice(2).map(s => `step ${s.step}`) }
  console.log('wrote training.png')

  writeFileSync(join(OUT, 'images.json'), `${JSON.stringify(record, null, 2)}\n`)
  return 0
}

main().then(code => process.exit(code), (err) => {
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(2)
})
