/**
 * The step-through behind the reverse-diffusion demo: start a generation, advance it one denoiser call at a
 * time, keep every step (decoded x_t, predicted noise, decoded x̂₀) so the audience can scrub back.
 * Framework-free; the view only renders `frames`.
 */
import type { DiffusionConfig, DiffusionNets, GenerateParams, StepResult } from './sampler'
import { channelToRgba, decodeScaled, generate, planarToRgba } from './sampler'

export interface Frame {
  index: number
  total: number
  t: number
  tNext: number
  alphaBar: number
  /** RGBA bytes of the decoded current latent x_t and of the decoded prediction x̂₀ (image size). */
  xt: Uint8ClampedArray<ArrayBuffer>
  x0: Uint8ClampedArray<ArrayBuffer>
  /** The guided predicted noise ε̂, one greyscale picture per latent channel (latent size). */
  eps: Uint8ClampedArray<ArrayBuffer>[]
  /** The latent after this step (scaled), for the final image and the tests. */
  next: Float32Array
}

export class StepThrough {
  frames: Frame[] = []
  params: GenerateParams | null = null
  private it: AsyncGenerator<StepResult> | null = null
  private run = 0
  private busy: Promise<Frame | null> | null = null

  constructor(readonly nets: DiffusionNets, readonly config: DiffusionConfig) {}

  get done(): boolean {
    return !this.it && this.frames.length > 0
  }

  /** Starts a new generation (forgets the previous one). */
  start(params: GenerateParams): void {
    this.run++
    this.params = params
    this.frames = []
    this.it = generate(this.nets, this.config, params)
    this.busy = null
  }

  /** Computes the next step; resolves null at the end, or if a newer start() replaced this run. */
  step(): Promise<Frame | null> {
    this.busy ??= this.advance().finally(() => { this.busy = null })
    return this.busy
  }

  private async advance(): Promise<Frame | null> {
    const it = this.it
    const run = this.run
    if (!it) return null
    const r = await it.next()
    if (run !== this.run) return null
    if (r.done) {
      this.it = null
      return null
    }
    const s = r.value
    const size = this.config.image.size
    const both = new Float32Array(s.xt.length * 2)
    both.set(s.xt, 0)
    both.set(s.x0, s.xt.length)
    const [xt, x0] = planarToRgba(await decodeScaled(this.nets, this.config, both, 2), 2, size)
    if (run !== this.run) return null
    const ls = this.config.latent.size
    const frame: Frame = {
      index: s.index, total: s.total, t: s.t, tNext: s.tNext, alphaBar: s.alphaBar, xt: xt!, x0: x0!,
      eps: Array.from({ length: this.config.latent.channels }, (_, c) => channelToRgba(s.eps, c, ls)),
      next: s.next,
    }
    this.frames.push(frame)
    if (s.index + 1 === s.total)
      this.it = null
    return frame
  }

  /** Runs to the end; `onFrame` sees every step. Stops early when `shouldStop()` says so. */
  async play(onFrame: (f: Frame) => void | Promise<void>, shouldStop: () => boolean = () => false): Promise<void> {
    while (!shouldStop()) {
      const f = await this.step()
      if (!f) return
      await onFrame(f)
    }
  }
}

/** The steps to show in a printed filmstrip: the first, the last and evenly spaced ones between. */
export function filmstripIndices(total: number, count: number): number[] {
  if (total <= count) return Array.from({ length: total }, (_, i) => i)
  return Array.from({ length: count }, (_, i) => Math.round((i * (total - 1)) / (count - 1)))
}
