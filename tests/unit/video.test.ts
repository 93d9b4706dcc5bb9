/**
 * micro-video: the exported video UNet (temporal layers on the frozen image UNet) against PyTorch
 * (parity.json, written by `npm run train -- video`), one step and a short clip on the deck's sampler;
 * the motion measure on the real training clips (samples/real.png, one row per motion); and the
 * checks of what a person types.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SHIPPED_MODELS } from '../../packages/slidev-addon-under-the-hood/demos/runtime/node'
import { checkVideoParams, clipStart, generateClip, givenFrames, parseMotion, splitFrames, videoNets } from '../../packages/slidev-addon-under-the-hood/demos/video/clip'
import type { DiffusionConfig } from '../../packages/slidev-addon-under-the-hood/demos/diffusion/sampler'
import { latentSize } from '../../packages/slidev-addon-under-the-hood/demos/diffusion/sampler'
import { gaussianNoise } from '../../packages/slidev-addon-under-the-hood/demos/diffusion/schedule'
import type { VideoConfig } from '../../packages/slidev-addon-under-the-hood/demos/video/clip'
import { loadVideoNode } from '../../packages/slidev-addon-under-the-hood/demos/video/node'
import { judged, motionOf } from '../../packages/slidev-addon-under-the-hood/demos/video/motion'
import { maxDiff } from '../lib/numbers'

const ROOT = join(import.meta.dirname, '..', '..')
const SMOKE = join(ROOT, 'training', 'runs', 'smoke')

/** The shipped model, and the smoke run's when `npm test` has just trained one (its image model is the shipped one). */
const runs: [string, string, string][] = [['shipped', SHIPPED_MODELS, 'micro-video']]
if (existsSync(join(SMOKE, 'micro-video', 'config.json'))) runs.push(['smoke run', SMOKE, 'micro-video'])

describe.each(runs)('%s micro-video in ONNX matches PyTorch', (_, dir, model) => {
  it('one denoising step of a clip, and a 4-step clip on the deck\'s sampler', async () => {
    const parity = JSON.parse(readFileSync(join(dir, model, 'parity.json'), 'utf8'))
    const v = await loadVideoNode(SHIPPED_MODELS, model, { dir: join(dir, model) })
    // one step: the exported network on the pipeline's inputs
    const p = parity.step
    const cond = await v.image.nets.encodeText(p.subjects)
    const net = videoNets(v.ort, v.session, v.image.nets, v.config, p.motion[1])
    const eps = await net.denoise(Float32Array.from(p.sample), p.timestep, cond)
    expect(eps.length).toBe(p.noise_pred.length)
    expect(maxDiff(eps, p.noise_pred)).toBeLessThan(1e-4)
    // a clip: the deck's sampler (DDIM, guidance, x̂₀ clipping) from the pipeline's starting noise
    const c = parity.clip
    const { params } = checkVideoParams({ prompt: c.prompt, seed: 0, steps: c.steps, guidance: c.guidance, frames: c.noise.length / 256 }, v.config)
    const nets = videoNets(v.ort, v.session, v.image.nets, v.config, params.motion)
    let last: Float32Array | undefined
    for await (const s of generateClip(nets, { ...v.image.config, sampling: { ...v.image.config.sampling, x0_clip: c.x0_clip } }, params, { start: Float32Array.from(c.noise) })) last = s.next
    expect(maxDiff(last!, c.latents)).toBeLessThan(2e-3)
  }, 120_000)
})

describe('given frames (image → video, in-between, extend)', () => {
  it('keeps the given frames exactly and makes the others around them', async () => {
    const v = await loadVideoNode(SHIPPED_MODELS)
    const { params } = checkVideoParams({ prompt: 'rocket moving right', seed: 5, steps: 6, frames: 8 }, v.config)
    const nets = videoNets(v.ort, v.session, v.image.nets, v.config, params.motion)
    const run = async (known?: ReturnType<typeof givenFrames>) => {
      let last: Float32Array | undefined
      for await (const s of generateClip(nets, v.image.config, params, { known })) last = s.next
      return splitFrames(last!, v.image.config)
    }
    const clip = await run()
    // extend: the next clip starts with the last four frames of this one, exactly
    const next = await run(givenFrames('continue', 8, clip))
    for (let k = 0; k < 4; k++) expect(maxDiff(next[k]!, clip[4 + k]!)).toBeLessThan(1e-5)
    expect(maxDiff(next[4]!, next[3]!)).toBeGreaterThan(0.05)
    // in-between: the first and last frames are the given ones; the middle is made
    const ends = await run(givenFrames('ends', 8, [clip[0]!], clip[7]!))
    expect(maxDiff(ends[0]!, clip[0]!)).toBeLessThan(1e-5)
    expect(maxDiff(ends[7]!, clip[7]!)).toBeLessThan(1e-5)
  }, 120_000)
})

describe('the starting noise of a clip', () => {
  const image = JSON.parse(readFileSync(join(SHIPPED_MODELS, 'micro-diffusion', 'config.json'), 'utf8')) as DiffusionConfig
  const n = latentSize(image)
  const corr = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i]!, 0) / Math.sqrt(a.reduce((s, v) => s + v * v, 0) * b.reduce((s, v) => s + v * v, 0))
  it('is independent per frame with nothing shared, and correlated by the shared amount otherwise', () => {
    const own = splitFrames(clipStart(image, 4, 8), image)
    expect(clipStart(image, 4, 8)).toEqual(gaussianNoise(8 * n, 4))
    for (const rho of [0.5, 0.9]) {
      const mixed = splitFrames(clipStart(image, 4, 8, rho), image)
      // every frame is still unit-variance noise, and any two frames correlate by about rho
      for (const f of mixed) expect(f.reduce((s, v) => s + v * v, 0) / n).toBeGreaterThan(0.75)
      for (const f of mixed) expect(f.reduce((s, v) => s + v * v, 0) / n).toBeLessThan(1.3)
      const pairs = mixed.slice(1).map((f, k) => corr(f, mixed[k]!))
      const mean = pairs.reduce((s, v) => s + v, 0) / pairs.length
      expect(Math.abs(mean - rho)).toBeLessThan(0.1)
    }
    const pairs = own.slice(1).map((f, k) => Math.abs(corr(f, own[k]!)))
    expect(Math.max(...pairs)).toBeLessThan(0.25)
  })
  it('shares what the model\'s config says', async () => {
    const cfg = JSON.parse(readFileSync(join(SHIPPED_MODELS, 'micro-video', 'config.json'), 'utf8')) as VideoConfig
    expect(checkVideoParams({ prompt: 'rocket moving up' }, cfg).params.shared).toBe(cfg.sampling.noise_shared ?? 0)
    expect(checkVideoParams({ prompt: 'rocket moving up' }, { ...cfg, sampling: { ...cfg.sampling, noise_shared: undefined } }).params.shared).toBe(0)
  })
})

describe('the motion measure', () => {
  it('names the motion of every real training clip (samples/real.png: one row per motion)', async () => {
    const sharp = (await import('sharp')).default
    const meta = JSON.parse(readFileSync(join(SHIPPED_MODELS, 'micro-video', 'samples', 'samples.json'), 'utf8'))
    const { data, info } = await sharp(join(SHIPPED_MODELS, 'micro-video', 'samples', 'real.png')).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
    const S = meta.size as number
    expect(info.width).toBe(S * meta.frames)
    expect(info.height).toBe(S * meta.motions.length)
    const verdicts = (meta.motions as string[]).map((motion, r) => {
      const frames = Array.from({ length: meta.frames }, (_, k) => {
        const f = new Uint8ClampedArray(S * S * 4)
        for (let y = 0; y < S; y++) f.set(data.subarray(((r * S + y) * info.width + k * S) * 4, ((r * S + y) * info.width + (k + 1) * S) * 4), y * S * 4)
        return f
      })
      return [motion, judged(motion, motionOf(frames, S))]
    })
    expect(verdicts).toEqual((meta.motions as string[]).map(m => [m, true]))
    // and it is not fooled: a row read backwards is the opposite motion
    const frames = (r: number) => Array.from({ length: meta.frames }, (_, k) => {
      const f = new Uint8ClampedArray(S * S * 4)
      for (let y = 0; y < S; y++) f.set(data.subarray(((r * S + y) * info.width + k * S) * 4, ((r * S + y) * info.width + (k + 1) * S) * 4), y * S * 4)
      return f
    })
    const left = meta.motions.indexOf('moving left')
    expect(judged('moving left', motionOf(frames(left).reverse(), S))).toBe(false)
    expect(judged('moving right', motionOf(frames(left).reverse(), S))).toBe(true)
  })
})

describe('what a person types', () => {
  const cfg: VideoConfig = {
    frames: 8, max_frames: 16, image_model: 'micro-diffusion',
    motions: ['still', 'moving left', 'moving right', 'moving up', 'moving down', 'zooming in', 'zooming out', 'spinning'],
    sampling: { default_steps: 20, default_guidance: 4, unconditional_motion: 0 },
  }
  it('reads the motion phrase and keeps the rest as the subject', () => {
    expect(parseMotion('Rocket  moving UP', cfg.motions)).toEqual({ subject: 'rocket', motion: 3 })
    expect(parseMotion('cat face spinning', cfg.motions)).toEqual({ subject: 'cat face', motion: 7 })
    expect(parseMotion('zooming in on a pizza', cfg.motions)).toEqual({ subject: 'on a pizza', motion: 5 })
    expect(parseMotion('rocket', cfg.motions)).toEqual({ subject: 'rocket', motion: 0 })
  })
  it('makes a still clip from an unknown motion word, and says which words it knows', () => {
    const { params, notes } = checkVideoParams({ prompt: 'rocket flying up', seed: 1 }, cfg)
    expect(params.motion).toBe(0)
    expect(params.subject).toBe('rocket flying up')
    expect(notes.join(' ')).toMatch(/stays still.*moving left.*spinning/)
  })
  it('clamps 64 frames to the model\'s 16 with a note, and refuses frames that are not a number', () => {
    const { params, notes } = checkVideoParams({ prompt: 'rocket moving up', frames: 64 }, cfg)
    expect(params.frames).toBe(16)
    expect(notes.join(' ')).toMatch(/2 to 16 frames.*64 asked, making 16/)
    expect(() => checkVideoParams({ prompt: 'rocket', frames: 'many' }, cfg)).toThrow(/Frames must be a number/)
  })
  it('says an empty prompt draws without text', () => {
    expect(checkVideoParams({ prompt: '  ' }, cfg).notes.join(' ')).toMatch(/Empty prompt/)
  })
})
