/**
 * micro latent diffusion: the sampler maths against values computed independently (numpy), the ONNX
 * files against torch (parity.json), the whole TypeScript DDIM loop against torch's sampler, the input
 * checks, and the CLI. Runs on the shipped model and on the smoke run's fresh export when there is one.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SHIPPED_MODELS } from '../../packages/slidev-addon-under-the-hood/demos/runtime/node'
import { loadDiffusionNode } from '../../packages/slidev-addon-under-the-hood/demos/diffusion/node'
import { fitIds, repeatConditioning } from '../../packages/slidev-addon-under-the-hood/demos/diffusion/nets'
import { mapLatents, MAX_PER_CALL, seedGrid } from '../../packages/slidev-addon-under-the-hood/demos/diffusion/explore'
import type { DiffusionConfig } from '../../packages/slidev-addon-under-the-hood/demos/diffusion/sampler'
import { maxDiff } from '../lib/numbers'
import {
  checkParams, ddimStep, DiffusionInputError, generate, generateImage, guidanceTexts, guide, initialLatent, planarToRgba,
  rgbaToPlanar, slerp, stepSeed, timesteps,
} from '../../packages/slidev-addon-under-the-hood/demos/diffusion/sampler'

const ROOT = join(import.meta.dirname, '..', '..')
// The shipped model always; the smoke run's export whenever the smoke run wrote one. A folder without its
// parity.json fails (below), it is never silently left out.
const folders: [string, string, boolean][] = [['shipped', SHIPPED_MODELS, true]]
const smoke = join(ROOT, 'training', 'runs', 'smoke', 'models')
if (existsSync(join(smoke, 'micro-diffusion')))
  folders.push(['smoke export', smoke, false])


describe('sampler maths', () => {
  it('visits T … 1 in even strides (half up), then the clean image', () => {
    expect(timesteps(1000, 10)).toEqual([1000, 900, 800, 700, 600, 500, 400, 300, 200, 100])
    expect(timesteps(1000, 16).slice(0, 4)).toEqual([1000, 938, 875, 813])
    expect(timesteps(1000, 30)[29]).toBe(33)
    expect(timesteps(1000, 0)).toEqual([1000])
    expect(timesteps(1000, 5000)).toHaveLength(1000)
  })

  // Reference values from numpy (float64) with the formulas of Song et al. 2021, eq. 12.
  it('takes DDIM (η = 0) and DDPM (η = 1) steps as numpy does, clipping x̂₀', () => {
    const xt = [1.0, -0.5, 3.0]
    const eps = [0.2, 0.3, -2.0]
    const d = ddimStep(xt, eps, 0.3, 0.6, 0, 4)
    expect(maxDiff(d.x0, [1.5202368120201644, -1.371128498670861, 4.0])).toBeLessThan(1e-6)
    expect(maxDiff(d.eps, [0.2, 0.3, 0.9670711451712725])).toBeLessThan(1e-6)
    expect(maxDiff(d.next, [1.3040614774558454, -0.8723349085624218, 3.710016172599647])).toBeLessThan(1e-6)
    const p = ddimStep(xt, eps, 0.3, 0.6, 1, 4, [0.5, -1, 0.25])
    expect(maxDiff(p.next, [1.5124439533398162, -1.4951755414299512, 3.558947015108818])).toBeLessThan(1e-6)
    // the last step goes to ᾱ = 1: the result is x̂₀ itself
    expect(maxDiff(ddimStep(xt, eps, 0.3, 1, 0, 4).next, d.x0)).toBeLessThan(1e-7)
  })

  it('guides: w = 0 is unconditional, w = 1 conditional, per-latent weights', () => {
    const both = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]) // ∅ = [1 2 3 4], c = [5 6 7 8]
    expect([...guide(both, 0)]).toEqual([1, 2, 3, 4])
    expect([...guide(both, 1)]).toEqual([5, 6, 7, 8])
    expect([...guide(both, 2)]).toEqual([9, 10, 11, 12])
    expect([...guide(both, [0, 1])]).toEqual([1, 2, 7, 8])
  })

  it('keeps seeds reproducible and distinct', () => {
    const cfg = { latent: { channels: 4, size: 8 } } as Parameters<typeof initialLatent>[0]
    expect(initialLatent(cfg, 7)).toEqual(initialLatent(cfg, 7))
    expect(maxDiff(initialLatent(cfg, 7), initialLatent(cfg, 8))).toBeGreaterThan(0.5)
    expect(stepSeed(7, 0)).not.toBe(stepSeed(7, 1))
    expect(stepSeed(7, 0)).not.toBe(stepSeed(8, 0))
  })

  it('interpolates noise on the sphere (norm kept, ends exact)', () => {
    const cfg = { latent: { channels: 4, size: 8 } } as Parameters<typeof initialLatent>[0]
    const a = initialLatent(cfg, 1)
    const b = initialLatent(cfg, 2)
    const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0))
    expect(maxDiff(slerp(a, b, 0), a)).toBeLessThan(1e-5)
    expect(maxDiff(slerp(a, b, 1), b)).toBeLessThan(1e-5)
    const mid = slerp(a, b, 0.5)
    expect(norm(mid) / ((norm(a) + norm(b)) / 2)).toBeCloseTo(1, 1)
  })

  it('converts between planar images and RGBA', () => {
    const rgba = new Uint8ClampedArray(2 * 2 * 4).fill(255)
    rgba[3] = 0 // one transparent pixel → the background
    const planar = rgbaToPlanar(rgba, 2)
    expect(planar[0]).toBeCloseTo((230 / 255) * 2 - 1, 6)
    expect(planar[1]).toBe(1)
    const back = planarToRgba(planar, 1, 2)[0]!
    expect(back[0]).toBe(230)
    expect(back[4]).toBe(255)
    expect(back[3]).toBe(255)
  })
})

describe('input checks', () => {
  it('clamps steps, guidance and seeds with a note', () => {
    const a = checkParams({ prompt: 'red apple', steps: 10_000, guidance: -3, seed: -2.5 })
    expect(a.params).toEqual({ prompt: 'red apple', steps: 250, guidance: 0, seed: 3, sampler: 'ddim' })
    expect(a.notes.join(' ')).toMatch(/Steps 10000 .* using 250.*Guidance -3 .* using 0.*Seeds/)
    expect(checkParams({ prompt: 'x', steps: 0 }).params.steps).toBe(1)
    expect(checkParams({ prompt: 'x', sampler: 'ddpm' }).params.sampler).toBe('ddpm')
    expect(checkParams({ prompt: 'x', sampler: 'euler' }).notes[0]).toMatch(/Unknown sampler/)
  })

  it('guides away from a negative prompt instead of the empty one; a blank negative changes nothing', () => {
    const cfg = { text_encoder: { model: 'micro-clip', unconditional_prompt: '' } } as DiffusionConfig
    expect(guidanceTexts(cfg, checkParams({ prompt: 'red apple', negative: 'green' }).params)).toEqual(['green', 'red apple'])
    const blank = checkParams({ prompt: 'red apple', negative: '   ' }).params
    expect(blank).not.toHaveProperty('negative')
    expect(guidanceTexts(cfg, blank)).toEqual(['', 'red apple'])
    expect(checkParams({ prompt: 'x', negative: 'y'.repeat(3000) }).notes[0]).toMatch(/negative prompt was 3,000 characters/)
  })

  it('refuses NaN, explains empty and cuts huge prompts', () => {
    expect(() => checkParams({ prompt: 'x', guidance: Number.NaN })).toThrow(DiffusionInputError)
    expect(() => checkParams({ prompt: 'x', steps: 'many' })).toThrow(/Steps must be a number/)
    expect(checkParams({ prompt: '   ' }).notes[0]).toMatch(/Empty prompt/)
    const huge = checkParams({ prompt: 'apple '.repeat(2000) })
    expect(huge.params.prompt.length).toBe(1000)
    expect(huge.notes[0]).toMatch(/12,000 characters/)
  })

  it('fits token ids to the encoder, keeping the closing token', () => {
    expect(fitIds([2, 5, 6, 3], 32)).toEqual({ ids: [2, 5, 6, 3], truncated: false })
    const long = [2, ...Array.from({ length: 50 }, (_, i) => 10 + i), 3]
    const f = fitIds(long, 32)
    expect(f.ids).toHaveLength(32)
    expect(f.ids[0]).toBe(2)
    expect(f.ids[31]).toBe(3)
    expect(f.truncated).toBe(true)
  })
})

interface Parity {
  unet: { sample: number[], timestep: number[], prompts: string[], input_ids: number[][], noise_pred: number[] }
  vae_encoder: { pixel_values: number[], latent: number[] }
  vae_decoder: { latent: number[], sample: number[] }
  ddim: { prompt: string, steps: number, guidance: number, noise: number[], latent: number[] }
  ddim_negative?: { prompt: string, negative: string, steps: number, guidance: number, latent: number[] }
}

describe.each(folders)('micro-diffusion (%s)', (_label, modelsDir, shipped) => {
  /** Quality goals are the shipped model's: the smoke export is a few training steps old, so it gets no such test. */
  const itShipped = (shipped ? it : () => {}) as typeof it
  /** The fresh export's parity carries what torch computes since the export learned it (the shipped file predates it). */
  const itFresh = (shipped ? () => {} : it) as typeof it
  it('has the parity file its export wrote (the checks against torch below need it)', () => {
    expect(existsSync(join(modelsDir, 'micro-diffusion', 'parity.json')), `${join(modelsDir, 'micro-diffusion')}/parity.json is missing: re-export with npm run train`).toBe(true)
  })

  const dir = join(modelsDir, 'micro-diffusion')
  const parity = () => JSON.parse(readFileSync(join(dir, 'parity.json'), 'utf8')) as Parity

  it('fits the size budget (all diffusion files ≤ 20 MB)', () => {
    const onnx = readdirSync(join(dir, 'onnx')).map(f => statSync(join(dir, 'onnx', f)).size)
    expect(onnx).toHaveLength(3)
    expect(onnx.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(20_000_000)
  })

  it('tokenizes like training; UNet and autoencoder give torch\'s numbers (1e-4)', async () => {
    const p = parity()
    const { nets, encodeIds } = await loadDiffusionNode(modelsDir, 'micro-diffusion', { encoder: true })
    expect(p.unet.prompts.map(encodeIds)).toEqual(p.unet.input_ids)
    const cond = await nets.encodeText(p.unet.prompts)
    // Both rows share one t here; the export takes one t per row.
    const eps = await nets.denoise(Float32Array.from(p.unet.sample), p.unet.timestep[0]!, cond)
    expect(maxDiff(eps, p.unet.noise_pred)).toBeLessThan(1e-4)
    expect(maxDiff(await nets.decode(Float32Array.from(p.vae_decoder.latent), 1), p.vae_decoder.sample)).toBeLessThan(1e-4)
    expect(maxDiff(await nets.encode!(Float32Array.from(p.vae_encoder.pixel_values), 1), p.vae_encoder.latent)).toBeLessThan(1e-4)
  })

  it('carries the text encoder it was trained with: its tokenizer and ONNX file give torch\'s ids and embeddings (1e-4)', async () => {
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as DiffusionConfig & { text_encoder: { fingerprint: string } }
    expect(config.text_encoder.model).toBe('micro-diffusion/text_encoder')
    const textDir = join(modelsDir, config.text_encoder.model)
    const ref = JSON.parse(readFileSync(join(textDir, 'parity.json'), 'utf8')) as
      { fingerprint: string, texts: string[], text: { ids: number[], text_embeds: number[] }[] }
    expect(ref.fingerprint).toBe(config.text_encoder.fingerprint)
    const { nets, encodeIds } = await loadDiffusionNode(modelsDir)
    expect(ref.texts.map(encodeIds)).toEqual(ref.text.map(r => r.ids))
    const cond = await nets.encodeText(ref.texts)
    const width = ref.text[0]!.text_embeds.length
    ref.text.forEach((r, i) => expect(maxDiff(cond.pooled.subarray(i * width, (i + 1) * width), r.text_embeds)).toBeLessThan(1e-4))
  })

  it('runs the same DDIM loop as torch (10 steps, guidance 4)', async () => {
    const p = parity()
    const { nets, config } = await loadDiffusionNode(modelsDir)
    const params = checkParams({ prompt: p.ddim.prompt, steps: p.ddim.steps, guidance: p.ddim.guidance, seed: 0 }).params
    const steps = []
    for await (const s of generate(nets, config, params, { start: Float32Array.from(p.ddim.noise) })) steps.push(s)
    expect(steps.map(s => s.t)).toEqual(timesteps(config.sampling.t_start ?? 1000, 10))
    expect(steps[0]!.t).toBe(config.sampling.t_start ?? 1000)
    expect(maxDiff(steps.at(-1)!.next, p.ddim.latent)).toBeLessThan(2e-3)
    // every step reports x_t, ε̂, x̂₀ and the next latent, chained
    for (let k = 1; k < steps.length; k++) expect(steps[k]!.xt).toEqual(steps[k - 1]!.next)
  })

  itFresh('runs negative-prompt guidance as torch does (10 steps, away from "green")', async () => {
    const p = parity()
    expect(p.ddim_negative, 'parity.json has no ddim_negative: re-export with npm run train').toBeDefined()
    const n = p.ddim_negative!
    const { nets, config } = await loadDiffusionNode(modelsDir)
    const params = checkParams({ prompt: n.prompt, negative: n.negative, steps: n.steps, guidance: n.guidance, seed: 0 }).params
    expect(params.negative).toBe('green')
    let last: Float32Array | undefined
    for await (const s of generate(nets, config, params, { start: Float32Array.from(p.ddim.noise) })) last = s.next
    expect(maxDiff(last!, n.latent)).toBeLessThan(2e-3)
    expect(maxDiff(last!, p.ddim.latent)).toBeGreaterThan(1e-3) // the negative prompt changed the result
  })

  it('is deterministic per seed, batches like single runs, and DDPM differs from DDIM', async () => {
    const { nets, config } = await loadDiffusionNode(modelsDir)
    const base = checkParams({ prompt: 'red apple', steps: 6, guidance: 3, seed: 11 }).params
    const a = await generateImage(nets, config, base)
    const b = await generateImage(nets, config, base)
    expect(a.latent).toEqual(b.latent)
    const c = await generateImage(nets, config, { ...base, seed: 12 })
    expect(maxDiff(a.latent, c.latent)).toBeGreaterThan(1e-3)
    const d = await generateImage(nets, config, { ...base, sampler: 'ddpm' })
    expect(maxDiff(a.latent, d.latent)).toBeGreaterThan(1e-3)
    // two latents in one batch (the guidance strip) = two separate runs
    const cond = repeatConditioning(await nets.encodeText(['', 'red apple']), 2)
    const start = new Float32Array(512)
    start.set(initialLatent(config, 11), 0)
    start.set(initialLatent(config, 11), 256)
    const batched = await generateImage(nets, config, base, { cond, start, guidances: [3, 0] })
    const w0 = await generateImage(nets, config, { ...base, guidance: 0 })
    expect(maxDiff(batched.latent.subarray(0, 256), a.latent)).toBeLessThan(1e-4)
    expect(maxDiff(batched.latent.subarray(256), w0.latent)).toBeLessThan(1e-4)
    expect(batched.image).toHaveLength(2 * 3 * 32 * 32)
  })

  it('runs a seed grid larger than one batch in chunks, each latent as if alone; maps seeds to 2D', async () => {
    const { nets, config } = await loadDiffusionNode(modelsDir)
    const params = checkParams({ prompt: 'rocket', steps: 3, guidance: 4 }).params
    const seeds = Array.from({ length: MAX_PER_CALL + 2 }, (_, i) => 40 + i)
    const grid = (await seedGrid(nets, config, params, seeds))!
    expect(grid.images).toHaveLength(seeds.length)
    const last = await generateImage(nets, config, { ...params, seed: seeds.at(-1)! })
    expect(maxDiff(grid.latents.subarray((seeds.length - 1) * 256), last.latent)).toBeLessThan(1e-4)
    const pos = mapLatents(grid.latents, seeds.length)
    expect(pos).toHaveLength(seeds.length)
    for (const p of pos) for (const v of [p.x, p.y]) expect(v >= 0 && v <= 1).toBe(true)
  })

  it('handles empty, huge and unknown-word prompts', async () => {
    const { nets } = await loadDiffusionNode(modelsDir)
    const cond = await nets.encodeText(['', 'zzqx blorfing ' + '🦄 '.repeat(40), 'épée ✨'])
    expect(cond.tokens[0]).toBe(2) // [CLS] [SEP]
    expect(cond.tokens[1]).toBe(32)
    expect(cond.truncated).toEqual([false, true, false])
    expect([...cond.states].every(Number.isFinite)).toBe(true)
  })

  itShipped('meets the quality goal: own prompt in micro-CLIP\'s top-10 for ≥ 60 % of training names', () => {
    const m = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'))
    expect(m.train_top10).toBeGreaterThanOrEqual(0.6)
    expect(m.train_top10).toBeGreaterThan(5 * m.train_noise_top10)
  })

  itShipped('writes a PNG from the CLI, and refuses NaN guidance with a message', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'uth-gen-')), 'apple.png')
    const cli = (args: string[]) => execFileSync(process.execPath, [join(ROOT, 'node_modules', 'jiti', 'lib', 'jiti-cli.mjs'), join(ROOT, 'scripts', 'generate.ts'), '--models', modelsDir, ...args], { encoding: 'utf8', stdio: 'pipe' })
    expect(cli(['--prompt', 'red apple', '--seed', '7', '--steps', '8', '--out', out])).toMatch(/wrote .*apple\.png/)
    const png = readFileSync(out)
    expect(png.subarray(1, 4).toString()).toBe('PNG')
    expect(() => cli(['--prompt', 'x', '--guidance', 'NaN', '--out', out])).toThrow(/Guidance must be a number/)
  })
})
