/**
 * Text → video with micro-video: the image model's frozen UNet plus temporal layers (attention across
 * frames at every latent pixel), so all frames of a clip are denoised together, each looking at the
 * others (training/video.py). The prompt names a subject and a motion ("rocket moving up"): the subject
 * goes to micro-CLIP as for a picture, the motion words pick one of the motions the model learned.
 *
 * The sampler is the image model's (../diffusion/sampler.ts): a clip of F frames is F latents denoised in
 * one call per step; only the denoiser differs. Framework-free: the session comes in from the caller.
 */
import type { OrtLike, SessionLike } from '../runtime/ort'
import type { Conditioning, DiffusionConfig, DiffusionNets, GenerateParams, StepResult } from '../diffusion/sampler'
import { DiffusionInputError, checkParams, decodeScaled, generate, latentSize, planarToRgba, scheduleOf } from '../diffusion/sampler'
import { gaussianNoise } from '../diffusion/schedule'

/** What micro-video/config.json says. */
export interface VideoConfig {
  frames: number
  max_frames: number
  /** Index 0 is "still" (no motion named); the others are the phrases the model knows. */
  motions: string[]
  image_model: string
  sampling: {
    default_steps: number
    default_guidance: number
    unconditional_motion: number
    /** ρ: how much of every frame's starting noise is one noise shared by the whole clip (0 = independent). */
    noise_shared?: number
  }
}

export const VIDEO_LIMITS = { minFrames: 2 } as const

export interface VideoParams extends GenerateParams {
  /** The prompt without its motion phrase (what micro-CLIP reads). */
  subject: string
  /** Index into VideoConfig.motions. */
  motion: number
  frames: number
  /** ρ of clipStart: the share of the starting noise common to all frames (the model's config chooses it). */
  shared: number
}

/** 'rocket moving up' → { subject: 'rocket', motion: index of 'moving up' }. The first known phrase wins. */
export function parseMotion(prompt: string, motions: readonly string[]): { subject: string, motion: number } {
  const p = prompt.toLowerCase().split(/\s+/).filter(Boolean).join(' ')
  for (let m = 1; m < motions.length; m++) {
    const phrase = motions[m]!
    const at = p.indexOf(phrase)
    if (at >= 0)
      return { subject: `${p.slice(0, at)} ${p.slice(at + phrase.length)}`.split(/\s+/).filter(Boolean).join(' '), motion: m }
  }
  return { subject: p, motion: 0 }
}

/** The motions a person can type, for messages: "moving left, moving right, …". */
export function knownMotions(cfg: VideoConfig): string {
  return cfg.motions.slice(1).map(m => `“${m}”`).join(', ')
}

/**
 * Checks a video request. Frames outside 2…max are clamped with a note (the clip is still made); a prompt
 * without a known motion makes a still clip and says which motions the model knows.
 */
export function checkVideoParams(raw: { prompt?: unknown, seed?: unknown, steps?: unknown, guidance?: unknown, frames?: unknown },
  cfg: VideoConfig): { params: VideoParams, notes: string[] } {
  const { params, notes } = checkParams({ prompt: raw.prompt, seed: raw.seed, steps: raw.steps ?? cfg.sampling.default_steps, guidance: raw.guidance ?? cfg.sampling.default_guidance })
  const fr = typeof raw.frames === 'string' && raw.frames.trim() !== '' ? Number(raw.frames) : typeof raw.frames === 'number' ? raw.frames : cfg.frames
  if (!Number.isFinite(fr))
    throw new DiffusionInputError(`Frames must be a number (got "${String(raw.frames).slice(0, 40)}").`)
  let frames = Math.round(fr)
  if (frames < VIDEO_LIMITS.minFrames || frames > cfg.max_frames) {
    const c = Math.min(cfg.max_frames, Math.max(VIDEO_LIMITS.minFrames, frames))
    notes.push(`This model makes clips of ${VIDEO_LIMITS.minFrames} to ${cfg.max_frames} frames (it learned positions for ${cfg.max_frames}); ${frames} asked, making ${c}.`)
    frames = c
  }
  const { subject, motion } = parseMotion(params.prompt, cfg.motions)
  if (params.prompt.trim() && motion === 0)
    notes.push(`No motion the model knows is in the prompt, so the clip stays still. It knows: ${knownMotions(cfg)}.`)
  return { params: { ...params, subject, motion, frames, shared: cfg.sampling.noise_shared ?? 0 }, notes }
}

/**
 * x_T of a clip, the same on every machine: the frames' own noise drawn one after another from the seed,
 * then one more latent's worth, the clip's common noise. With ρ = `shared` > 0 each frame starts from
 * √ρ·common + √(1 − ρ)·own: still unit-variance noise, correlated ρ between frames (the "mixed" noise
 * prior of Ge et al. 2023). The frames then start alike and need not be pulled together by attention alone.
 */
export function clipStart(image: DiffusionConfig, seed: number, frames: number, shared = 0): Float32Array {
  const n = latentSize(image)
  const all = gaussianNoise((frames + 1) * n, seed)
  const own = all.slice(0, frames * n)
  if (!(shared > 0)) return own
  const a = Math.sqrt(Math.min(1, shared))
  const b = Math.sqrt(1 - Math.min(1, shared))
  for (let i = 0; i < own.length; i++) own[i] = a * all[frames * n + (i % n)]! + b * own[i]!
  return own
}

/** How a clip's frames start, in words, for the slides: "one noise for every frame", "noise they share in part". */
export function startNoiseText(cfg: VideoConfig): string {
  const rho = cfg.sampling.noise_shared ?? 0
  if (rho >= 1) return 'every frame starts from the same noise'
  if (rho > 0) return `every frame's starting noise is ${Math.round(rho * 100)} % shared with the others`
  return 'every frame starts from its own noise'
}

/** The middle block's attention across frames, for the prompt's half of the batch: [pixels][query frame][key frame]. */
export interface FrameAttention { pixels: number, frames: number, side: number, weights: Float32Array }

/**
 * The image model's networks with micro-video's denoiser: x holds [∅ clip, prompt clip] (2·F latents);
 * the unconditional half gets the unconditional motion, the prompt's half `motion`.
 */
export function videoNets(ort: OrtLike, session: SessionLike, image: DiffusionNets, video: VideoConfig, motion: number,
  onAttention?: (a: FrameAttention) => void): DiffusionNets {
  const f32 = (data: Float32Array, dims: number[]) => new ort.Tensor('float32', data, dims)
  return {
    ...image,
    async denoise(x: Float32Array, t: number, cond: Conditioning) {
      const B = cond.batch
      const per = x.length / B
      const frames = Math.round(per / 256)
      const side = Math.round(Math.sqrt(per / frames / 4))
      const motions = new BigInt64Array(B)
      for (let b = 0; b < B; b++) motions[b] = BigInt(b < B / 2 ? video.sampling.unconditional_motion : motion)
      const out = await session.run({
        sample: f32(x, [B, frames, 4, side, side]),
        timestep: f32(new Float32Array(B).fill(t), [B]),
        encoder_hidden_states: f32(cond.states, [B, cond.length, cond.width]),
        encoder_attention_mask: f32(cond.mask, [B, cond.length]),
        text_embeds: f32(cond.pooled, [B, cond.pooledWidth]),
        motion: new ort.Tensor('int64', motions, [B]),
      })
      const att = out.frame_attention
      if (onAttention && att) {
        const [, pixels, fq] = att.dims as number[]
        const all = att.data as Float32Array
        const half = pixels! * fq! * fq!
        onAttention({ pixels: pixels!, frames: fq!, side: Math.round(Math.sqrt(pixels!)), weights: Float32Array.from(all.subarray(half * (B - 1), half * B)) })
      }
      return Float32Array.from(out.noise_pred!.data as Float32Array)
    },
  }
}

/** One step of a clip: every frame's current latent and predicted final frame, decoded. */
export interface ClipStep {
  index: number
  total: number
  t: number
  /** RGBA per frame: the predicted final frames x̂₀, and the current noisy frames x_t (each empty where not asked for: `show`). */
  x0: Uint8ClampedArray<ArrayBuffer>[]
  xt: Uint8ClampedArray<ArrayBuffer>[]
  /** The clip's latents after this step (scaled), F × latent size. */
  next: Float32Array
}

/** Frames given in advance (scaled latents, one per listed frame): the model fills in the others. */
export interface KnownFrames { frames: number[], latents: Float32Array[] }

/**
 * Image → video, extension and interpolation as one idea: some frames are given, and at every noise level
 * the sampler reaches, those frames are put back, noised to that level with their own starting noise
 * (x_t = √ᾱ_t·x₀ + √(1 − ᾱ_t)·ε). The frames between them are denoised looking at them, through the
 * attention across frames. At the last step (t = 0) the given frames are exactly the given latents.
 */
export function keepFrames(image: DiffusionConfig, known: KnownFrames, start: Float32Array): (x: Float32Array, t: number) => void {
  const n = latentSize(image)
  const ab = scheduleOf(image).alphaBar
  return (x, t) => {
    const a = Math.sqrt(ab[t]!)
    const b = Math.sqrt(1 - ab[t]!)
    known.frames.forEach((f, k) => {
      const x0 = known.latents[k]!
      for (let i = 0; i < n; i++) x[f * n + i] = a * x0[i]! + b * start[f * n + i]!
    })
  }
}

/** Ready-made "given frames": the first frame (image → video), the first and last (interpolation), or the
 * `overlap` frames a clip ended with as the first ones of the next (extension). */
export function givenFrames(kind: 'first' | 'ends' | 'continue', frames: number, a: Float32Array[], b?: Float32Array, overlap = Math.floor(frames / 2)): KnownFrames {
  if (kind === 'first') return { frames: [0], latents: [a[0]!] }
  if (kind === 'ends') return { frames: [0, frames - 1], latents: [a[0]!, b ?? a.at(-1)!] }
  const tail = a.slice(-overlap)
  return { frames: tail.map((_, i) => i), latents: tail }
}

/** A clip's scaled latents (F × latent size) → one array per frame. */
export function splitFrames(latents: Float32Array, image: DiffusionConfig): Float32Array[] {
  const n = latentSize(image)
  return Array.from({ length: latents.length / n }, (_, f) => latents.slice(f * n, (f + 1) * n))
}

/**
 * What a clip's steps decode for the eye: only the finished frames (`final`: the last step's x̂₀), every
 * step's predicted final frames (`predicted`, the default), or those and every step's noisy frames too
 * (`noisy`: twice the decoding).
 */
export type ClipShow = 'final' | 'predicted' | 'noisy'

/**
 * Generates a clip step by step: all frames are one batch, denoised together. `nets` is `videoNets(…)`
 * for the prompt's motion; the subject text is encoded against the unconditional prompt. With `known`,
 * those frames are given and the others are generated around them (keepFrames).
 */
export async function* generateClip(nets: DiffusionNets, image: DiffusionConfig, params: VideoParams,
  opts: { signal?: AbortSignal, start?: Float32Array, known?: KnownFrames, show?: ClipShow } = {}): AsyncGenerator<ClipStep> {
  const show = opts.show ?? 'predicted'
  const cond = await nets.encodeText([image.text_encoder.unconditional_prompt, params.subject])
  const start = opts.start ?? clipStart(image, params.seed, params.frames, params.shared)
  const size = image.image.size
  const replace = opts.known?.frames.length ? keepFrames(image, opts.known, start) : undefined
  for await (const s of generate(nets, image, { ...params, prompt: params.subject }, { cond, start, signal: opts.signal, replace }) as AsyncGenerator<StepResult>) {
    if (opts.signal?.aborted) return
    // The given frames' clean version is known: shown as given at every step.
    opts.known?.frames.forEach((f, k) => s.x0.set(opts.known!.latents[k]!, f * latentSize(image)))
    const k = show === 'noisy' ? 2 : show === 'predicted' || s.index + 1 === s.total ? 1 : 0
    const both = new Float32Array(s.x0.length * k)
    if (k) both.set(s.x0, 0)
    if (k === 2) both.set(s.xt, s.x0.length)
    const rgba = k ? planarToRgba(await decodeScaled(nets, image, both, k * params.frames), k * params.frames, size) : []
    yield { index: s.index, total: s.total, t: s.t, x0: rgba.slice(0, params.frames), xt: rgba.slice(params.frames), next: s.next }
  }
}
