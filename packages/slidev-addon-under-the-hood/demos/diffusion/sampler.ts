/**
 * The reverse process: from seeded noise to a latent image, one denoiser call per step.
 *
 * Generalised DDIM (Song et al. 2021): η = 0 is DDIM (deterministic), η = 1 is DDPM's ancestral sampler
 * (Ho et al. 2020) on the same strided steps. Classifier-free guidance (Ho & Salimans 2022):
 * ε = ε(∅) + w·(ε(prompt) − ε(∅)), with the unconditional and conditional passes in one batch of 2.
 * The predicted clean latent x̂₀ is clipped to the range of the training latents and ε recomputed from it,
 * which keeps the first steps (where ᾱ_t is ~0) stable. training/diffusion.py samples the same way.
 *
 * Framework-free: the networks come in through `DiffusionNets` (ORT in the browser or in Node).
 */
import type { Schedule } from './schedule'
import { cosineSchedule, gaussianNoise, linearSchedule } from './schedule'
import { BACKGROUND, compositeRgb } from '../images/composite'

/** What config.json of a micro-diffusion model says (the parts the sampler needs). */
export interface DiffusionConfig {
  schedule: { kind: 'cosine' | 'linear', T: number }
  latent: { channels: number, size: number, scaling_factor: number }
  image: { size: number, channels: number }
  sampling: { default_steps: number, default_guidance: number, x0_clip: number, t_start?: number }
  text_encoder: { model: string, unconditional_prompt: string }
}

/** Text conditioning for a batch of prompts: token states, key mask and pooled embedding. */
export interface Conditioning {
  batch: number
  length: number
  /** [batch, length, width] */
  states: Float32Array
  /** [batch, length], 1 = real token */
  mask: Float32Array
  /** [batch, pooledWidth] */
  pooled: Float32Array
  width: number
  pooledWidth: number
  /** Tokens used per prompt, and whether a prompt was cut to fit the encoder. */
  tokens: number[]
  truncated: boolean[]
  /** [batch, 64] micro-audio's pitch hint: 1 on the picture rows the prompt's notes name (absent elsewhere). */
  pitchRows?: Float32Array
}

export interface DiffusionNets {
  /** Encodes prompts (unconditional first where the sampler asks for it). */
  encodeText: (prompts: string[]) => Promise<Conditioning>
  /** ε for latents x [batch, C, H, W] at step t (same t for the batch). */
  denoise: (x: Float32Array, t: number, cond: Conditioning) => Promise<Float32Array>
  /** Unscaled latents [n, C, H, W] → images [n, 3, S, S] in [−1, 1]. */
  decode: (latents: Float32Array, n: number) => Promise<Float32Array>
  /** Images [n, 3, S, S] in [−1, 1] → unscaled latent means. */
  encode?: (pixels: Float32Array, n: number) => Promise<Float32Array>
}

export type SamplerKind = 'ddim' | 'ddpm'

export interface GenerateParams {
  prompt: string
  seed: number
  steps: number
  guidance: number
  sampler: SamplerKind
  /**
   * A negative prompt: guidance steers towards the prompt and away from this text, instead of away from
   * the empty prompt (ε = ε(negative) + w·(ε(prompt) − ε(negative))). Empty or absent: the usual guidance.
   */
  negative?: string
}

/** The two texts of classifier-free guidance: what to steer away from, then the prompt. */
export function guidanceTexts(cfg: DiffusionConfig, params: GenerateParams): [string, string] {
  return [params.negative?.trim() ? params.negative : cfg.text_encoder.unconditional_prompt, params.prompt]
}

export interface StepResult {
  /** 0-based step index and the steps' total. */
  index: number
  total: number
  /** The noise level this step starts from and the one it goes to (0 = clean). */
  t: number
  tNext: number
  alphaBar: number
  /** Latent before the step (x_t), guided predicted noise ε̂, predicted clean latent x̂₀, latent after. */
  xt: Float32Array
  eps: Float32Array
  x0: Float32Array
  next: Float32Array
}

export const LIMITS = { minSteps: 1, maxSteps: 250, minGuidance: 0, maxGuidance: 20, maxPromptChars: 1000 } as const

export class DiffusionInputError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DiffusionInputError'
  }
}

/** The guidance weight when neither the caller nor a model's config gives one. */
const FALLBACK_GUIDANCE = 4

/** The guidance weight a model's config gives its sampler (the pipeline chooses it on validation prompts). */
export function defaultGuidance(cfg?: Pick<DiffusionConfig, 'sampling'>): number {
  return cfg?.sampling.default_guidance ?? FALLBACK_GUIDANCE
}

/**
 * Checks what a person typed. Out-of-range numbers are clamped with a note; values that mean nothing
 * (NaN steps or guidance) are refused with a message. Never throws anything but DiffusionInputError.
 */
export function checkParams(raw: { prompt?: unknown, seed?: unknown, steps?: unknown, guidance?: unknown, sampler?: unknown, negative?: unknown }): { params: GenerateParams, notes: string[] } {
  const notes: string[] = []
  const num = (v: unknown, what: string): number => {
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : typeof v === 'number' ? v : Number.NaN
    if (!Number.isFinite(n))
      throw new DiffusionInputError(`${what} must be a number (got "${String(v).slice(0, 40)}").`)
    return n
  }
  let prompt = typeof raw.prompt === 'string' ? raw.prompt : ''
  if (prompt.length > LIMITS.maxPromptChars) {
    notes.push(`The prompt was ${prompt.length.toLocaleString('en')} characters; the first ${LIMITS.maxPromptChars} are used (the text encoder reads at most 30 tokens anyway).`)
    prompt = prompt.slice(0, LIMITS.maxPromptChars)
  }
  if (!prompt.trim())
    notes.push('Empty prompt: the model draws without any text guidance (the unconditional model).')
  let steps = Math.round(num(raw.steps ?? 30, 'Steps'))
  if (steps < LIMITS.minSteps || steps > LIMITS.maxSteps) {
    const c = Math.min(LIMITS.maxSteps, Math.max(LIMITS.minSteps, steps))
    notes.push(`Steps ${steps} is outside ${LIMITS.minSteps}–${LIMITS.maxSteps}; using ${c}.`)
    steps = c
  }
  let guidance = num(raw.guidance ?? FALLBACK_GUIDANCE, 'Guidance')
  if (guidance < LIMITS.minGuidance || guidance > LIMITS.maxGuidance) {
    const c = Math.min(LIMITS.maxGuidance, Math.max(LIMITS.minGuidance, guidance))
    notes.push(`Guidance ${guidance} is outside ${LIMITS.minGuidance}–${LIMITS.maxGuidance}; using ${c}.`)
    guidance = c
  }
  let seed = num(raw.seed ?? 0, 'Seed')
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xFFFFFFFF) {
    const c = Math.abs(Math.floor(seed)) % 0x100000000
    notes.push(`Seeds are whole numbers from 0 to 4294967295; using ${c}.`)
    seed = c
  }
  const sampler = raw.sampler === 'ddpm' ? 'ddpm' : 'ddim'
  if (raw.sampler !== undefined && raw.sampler !== 'ddim' && raw.sampler !== 'ddpm')
    notes.push(`Unknown sampler "${String(raw.sampler).slice(0, 20)}"; using DDIM.`)
  let negative = typeof raw.negative === 'string' ? raw.negative : ''
  if (negative.length > LIMITS.maxPromptChars) {
    notes.push(`The negative prompt was ${negative.length.toLocaleString('en')} characters; the first ${LIMITS.maxPromptChars} are used.`)
    negative = negative.slice(0, LIMITS.maxPromptChars)
  }
  return { params: { prompt, seed, steps, guidance, sampler, ...(negative.trim() ? { negative } : {}) }, notes }
}

export function scheduleOf(cfg: DiffusionConfig): Schedule {
  return cfg.schedule.kind === 'cosine' ? cosineSchedule(cfg.schedule.T) : linearSchedule(cfg.schedule.T)
}

/**
 * The noise levels visited, from `start` down: t_i = round(start − i·start/steps), i = 0 … steps − 1.
 * Models start a little below T where ᾱ_T is ~0 (config `sampling.t_start`; see training/diffusion.py).
 */
export function timesteps(start: number, steps: number): number[] {
  const n = Math.max(1, Math.min(start, Math.round(steps)))
  return Array.from({ length: n }, (_, i) => Math.round(start - (i * start) / n))
}

export function startStep(cfg: DiffusionConfig): number {
  return Math.min(cfg.schedule.T, cfg.sampling.t_start ?? cfg.schedule.T)
}

/**
 * Guided noise ε(∅) + w·(ε(c) − ε(∅)) for k latents; `batch` holds the k unconditional predictions
 * first, then the k conditional ones. `guidance` is one weight, or one per latent.
 */
export function guide(batch: Float32Array, guidance: number | readonly number[]): Float32Array {
  const n = batch.length / 2
  const k = typeof guidance === 'number' ? 1 : guidance.length
  const per = n / k
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    const w = typeof guidance === 'number' ? guidance : guidance[Math.floor(i / per)]!
    out[i] = batch[i]! + w * (batch[n + i]! - batch[i]!)
  }
  return out
}

/**
 * One generalised DDIM step from level t (ᾱ_t) to level s (ᾱ_s): x̂₀ from x_t and ε̂ (clipped),
 * ε̂ recomputed from the clipped x̂₀, then x_s = √ᾱ_s·x̂₀ + √(1 − ᾱ_s − σ²)·ε̂ + σ·z with
 * σ = η·√((1 − ᾱ_s)/(1 − ᾱ_t)·(1 − ᾱ_t/ᾱ_s)).
 */
export function ddimStep(xt: ArrayLike<number>, epsIn: ArrayLike<number>, abT: number, abS: number, eta: number,
  x0Clip: number, z?: ArrayLike<number>): { x0: Float32Array, eps: Float32Array, next: Float32Array } {
  const n = xt.length
  const x0 = new Float32Array(n)
  const eps = new Float32Array(n)
  const next = new Float32Array(n)
  const sa = Math.sqrt(abT)
  const sb = Math.sqrt(1 - abT)
  const sigma = eta > 0 && abS < 1 ? eta * Math.sqrt(((1 - abS) / (1 - abT)) * (1 - abT / abS)) : 0
  const dir = Math.sqrt(Math.max(0, 1 - abS - sigma * sigma))
  const ss = Math.sqrt(abS)
  for (let i = 0; i < n; i++) {
    const x = xt[i]!
    const p = Math.min(x0Clip, Math.max(-x0Clip, (x - sb * epsIn[i]!) / sa))
    const e = (x - sa * p) / sb
    x0[i] = p
    eps[i] = e
    next[i] = ss * p + dir * e + (sigma > 0 && z ? sigma * z[i]! : 0)
  }
  return { x0, eps, next }
}

/** Seed of the extra noise DDPM adds at step k (deterministic from the image seed). */
export function stepSeed(seed: number, k: number): number {
  return (Math.imul(seed >>> 0, 0x9E3779B1) + Math.imul(k + 1, 0x85EBCA77)) >>> 0
}

export function latentSize(cfg: DiffusionConfig): number {
  return cfg.latent.channels * cfg.latent.size * cfg.latent.size
}

/** The starting latent x_T for a seed: the same numbers on every machine and backend. */
export function initialLatent(cfg: DiffusionConfig, seed: number): Float32Array {
  return gaussianNoise(latentSize(cfg), seed)
}

export interface GenerateOptions {
  /** The text encoding, unconditional half first (2 rows, or 2k rows for k latents). */
  cond?: Conditioning
  /** x_T: one latent, or k latents back to back (seed grids, guidance strips, interpolation). */
  start?: Float32Array
  /** One guidance weight per latent (overrides params.guidance). */
  guidances?: readonly number[]
  signal?: AbortSignal
  /**
   * Called on the latents at each noise level t they reach (x_T first, then every step's result), before the
   * sampler goes on: inpainting puts the known parts back here (a video's given frames, say).
   */
  replace?: (x: Float32Array, t: number) => void
}

/**
 * Runs the reverse process and yields every step. Several latents can run in one batch (`start` with k
 * latents, `cond` with 2k rows); DDPM's per-step noise then follows the first latent's seed.
 */
export async function* generate(nets: DiffusionNets, cfg: DiffusionConfig, params: GenerateParams,
  opts: GenerateOptions = {}): AsyncGenerator<StepResult> {
  const sched = scheduleOf(cfg)
  const cond = opts.cond ?? await nets.encodeText(guidanceTexts(cfg, params))
  const ts = timesteps(startStep(cfg), params.steps)
  const eta = params.sampler === 'ddpm' ? 1 : 0
  let x = opts.start ? Float32Array.from(opts.start) : initialLatent(cfg, params.seed)
  opts.replace?.(x, ts[0]!)
  const n = x.length
  const weights = opts.guidances ?? params.guidance
  const pair = new Float32Array(2 * n)
  for (let k = 0; k < ts.length; k++) {
    if (opts.signal?.aborted)
      return
    const t = ts[k]!
    const s = ts[k + 1] ?? 0
    pair.set(x, 0)
    pair.set(x, n)
    const both = await nets.denoise(pair, t, cond)
    const guided = guide(both, weights)
    const z = eta > 0 && s > 0 ? gaussianNoise(n, stepSeed(params.seed, k)) : undefined
    const { x0, eps, next } = ddimStep(x, guided, sched.alphaBar[t]!, sched.alphaBar[s]!, eta, cfg.sampling.x0_clip, z)
    opts.replace?.(next, s)
    yield { index: k, total: ts.length, t, tNext: s, alphaBar: sched.alphaBar[t]!, xt: x, eps, x0, next }
    x = next
  }
}

/** Runs a whole generation and returns the final latent (scaled) and, decoded, the image. */
export async function generateImage(nets: DiffusionNets, cfg: DiffusionConfig, params: GenerateParams,
  opts: GenerateOptions = {}): Promise<{ latent: Float32Array, image: Float32Array }> {
  let last: Float32Array | undefined
  for await (const step of generate(nets, cfg, params, opts)) last = step.next
  const latent = last ?? opts.start ?? initialLatent(cfg, params.seed)
  return { latent, image: await decodeScaled(nets, cfg, latent, latent.length / latentSize(cfg)) }
}

/** Decodes diffusion-space latents (scaled) to images: divides by the scale factor first, as SD does. */
export async function decodeScaled(nets: DiffusionNets, cfg: DiffusionConfig, latents: Float32Array, n: number): Promise<Float32Array> {
  const f = cfg.latent.scaling_factor
  return nets.decode(latents.map(v => v / f), n)
}

/** Spherical interpolation between two Gaussian latents (keeps the noise's norm, unlike a straight line). */
export function slerp(a: Float32Array, b: Float32Array, u: number): Float32Array {
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!
    na += a[i]! * a[i]!
    nb += b[i]! * b[i]!
  }
  const cos = Math.min(1, Math.max(-1, dot / Math.sqrt(na * nb)))
  const theta = Math.acos(cos)
  const out = new Float32Array(a.length)
  if (theta < 1e-6) {
    for (let i = 0; i < a.length; i++) out[i] = (1 - u) * a[i]! + u * b[i]!
    return out
  }
  const wa = Math.sin((1 - u) * theta) / Math.sin(theta)
  const wb = Math.sin(u * theta) / Math.sin(theta)
  for (let i = 0; i < a.length; i++) out[i] = wa * a[i]! + wb * b[i]!
  return out
}

/** Images [n, 3, S, S] in [−1, 1] (planar) → RGBA bytes per image. */
export function planarToRgba(images: Float32Array, n: number, size: number): Uint8ClampedArray<ArrayBuffer>[] {
  const px = size * size
  const out: Uint8ClampedArray<ArrayBuffer>[] = []
  for (let k = 0; k < n; k++) {
    const rgba = new Uint8ClampedArray(px * 4)
    const base = k * 3 * px
    for (let i = 0; i < px; i++) {
      for (let c = 0; c < 3; c++) rgba[i * 4 + c] = Math.round((images[base + c * px + i]! + 1) * 127.5)
      rgba[i * 4 + 3] = 255
    }
    out.push(rgba)
  }
  return out
}

/** RGBA bytes (composited on `background`) → planar [3, S, S] in [−1, 1], for the encoder. */
export function rgbaToPlanar(rgba: ArrayLike<number>, size: number, background = BACKGROUND): Float32Array {
  if (rgba.length !== size * size * 4)
    throw new Error(`expected ${size}×${size} RGBA (${size * size * 4} bytes), got ${rgba.length}`)
  return compositeRgb(rgba, { background, planar: true, signed: true })
}

/** One latent channel [C, H, W] → greyscale RGBA bytes, scaled by `range` (values ±range → black/white). */
export function channelToRgba(latent: ArrayLike<number>, channel: number, size: number, range = 3): Uint8ClampedArray<ArrayBuffer> {
  const px = size * size
  const out = new Uint8ClampedArray(px * 4)
  for (let i = 0; i < px; i++) {
    const v = Math.round(((latent[channel * px + i]! / range + 1) / 2) * 255)
    out[i * 4] = out[i * 4 + 1] = out[i * 4 + 2] = v
    out[i * 4 + 3] = 255
  }
  return out
}
