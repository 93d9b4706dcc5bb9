/**
 * One training run of the 2-D GAN as the slide shows it, described by what the presenter did:
 * its data, its setting, and a script of segments — "play" (one D update, then gSteps G updates, per
 * step), "D" (single discriminator updates) and "G" (single generator updates). The run is
 * deterministic, so `replayTo(script)` brings any window to exactly the presenter's state: it carries
 * on when its own script is a prefix of the target, and starts again from the seed when it is not.
 */
import type * as TF from '@tensorflow/tfjs'
import type { DistributionKind } from './data'
import { makeDistribution } from './data'
import type { Point2, SettingName } from './engine'
import { Gan2d, gaussians, modeCoverage, SETTINGS } from './engine'
import { seededRandom } from '../shared/random'

export type SegmentKind = 'play' | 'D' | 'G'
/** [what, how many]: how many play steps, or single D or G updates. */
export type Segment = [SegmentKind, number]

export interface GanSpec {
  distribution: DistributionKind | 'drawn'
  /** The points a person drew (used when distribution is 'drawn'). */
  drawn: readonly Point2[]
  setting: SettingName
  seed?: number
}

/** Raised when a loss stops being a number: the demo says so and offers Reset. */
export class GanDivergedError extends Error {
  constructor(step: number) {
    super(`Training diverged at update ${step}: a loss is no longer a number. Press Reset to start again.`)
    this.name = 'GanDivergedError'
  }
}

/** Updates a segment makes. */
export function segmentUpdates([kind, n]: Segment, gSteps: number): number {
  return kind === 'play' ? n * (1 + gSteps) : n
}

/** The script with one more segment of `kind` (merged with the last one when it is the same kind). */
export function extend(script: readonly Segment[], kind: SegmentKind, n = 1): Segment[] {
  const last = script[script.length - 1]
  if (last && last[0] === kind)
    return [...script.slice(0, -1), [kind, last[1] + n]]
  return [...script, [kind, n]]
}

/** Where a run stands against a target script. */
export function standing(done: readonly Segment[], target: readonly Segment[]): 'behind' | 'ahead' | 'elsewhere' {
  const prefix = (a: readonly Segment[], b: readonly Segment[]) => a.length <= b.length
    && a.every(([kind, n], i) => b[i]![0] === kind && (i === a.length - 1 ? n <= b[i]![1] : n === b[i]![1]))
  if (prefix(done, target)) return 'behind'
  if (prefix(target, done)) return 'ahead'
  return 'elsewhere'
}

/**
 * D's and G's losses as two SVG polylines in a width × height box (at most 300 points each; each curve
 * carries its last value over the other net's updates). Both share one vertical scale.
 */
export function lossCurves(history: readonly { d: number | null, g: number | null }[], width: number, height: number): { d: string, g: string, top: number } {
  if (history.length < 2) return { d: '', g: '', top: 0 }
  let d = history.find(h => h.d !== null)?.d ?? 0
  let g = history.find(h => h.g !== null)?.g ?? 0
  const filled = history.map((h) => {
    d = h.d ?? d
    g = h.g ?? g
    return [d, g] as const
  })
  const every = Math.ceil(filled.length / 300)
  const shown = filled.filter((_, i) => i % every === 0 || i === filled.length - 1)
  const top = Math.max(0.5, ...shown.flat().filter(Number.isFinite))
  const line = (k: 0 | 1) => shown.map((v, i) => `${((i / (shown.length - 1)) * width).toFixed(1)},${(height - 2 - (Math.min(v[k], top) / top) * (height - 6)).toFixed(1)}`).join(' ')
  return { d: line(0), g: line(1), top }
}

/** Steps per chunk when replaying: the page can breathe between chunks. */
const CHUNK = 20

export class GanRun {
  readonly gan: Gan2d
  readonly real: Point2[]
  readonly modes: Point2[]
  /** D's and G's losses after each of their updates, in order (null where the other net moved). */
  readonly history: { d: number | null, g: number | null }[] = []
  /** What this run has done so far. */
  done: Segment[] = []
  /** Fixed noise: the same 300 generated points are shown as they move. */
  private readonly z: Float32Array

  constructor(tf: typeof TF, readonly spec: GanSpec) {
    const seed = spec.seed ?? 1
    const dist = spec.distribution === 'drawn'
      ? { points: [...spec.drawn], modes: [] }
      : makeDistribution(spec.distribution, 512, seed)
    this.real = dist.points
    this.modes = dist.modes
    this.gan = new Gan2d(tf, this.real, SETTINGS[spec.setting], seed)
    this.z = gaussians(seededRandom(seed + 7), 600)
  }

  get step(): number {
    return this.gan.step
  }

  private check(v: number): number {
    if (!Number.isFinite(v)) throw new GanDivergedError(this.gan.step)
    return v
  }

  /** Runs `n` of a segment's units now, and records them. */
  run(kind: SegmentKind, n = 1): void {
    for (let i = 0; i < n; i++) {
      if (kind !== 'G')
        this.history.push({ d: this.check(this.gan.trainD()), g: null })
      if (kind !== 'D') {
        for (let k = 0; k < (kind === 'play' ? this.gan.settings.gSteps : 1); k++)
          this.history.push({ d: null, g: this.check(this.gan.trainG()) })
      }
    }
    this.done = extend(this.done, kind, n)
  }

  /** True when carrying on reaches `target` (this run's script is a prefix of it). */
  canReach(target: readonly Segment[]): boolean {
    return standing(this.done, target) === 'behind'
  }

  /** Carries on to `target` (which canReach must allow), a chunk at a time. */
  async replayTo(target: readonly Segment[], shouldStop: () => boolean = () => false): Promise<void> {
    for (let i = 0; i < target.length && !shouldStop(); i++) {
      const [kind, n] = target[i]!
      const have = this.done[i]?.[0] === kind ? this.done[i]![1] : 0
      for (let left = n - have; left > 0 && !shouldStop(); left -= CHUNK) {
        this.run(kind, Math.min(CHUNK, left))
        await new Promise(r => setTimeout(r, 0))
      }
    }
  }

  /** The generated points for the fixed noise (300 of them, flat x, y). */
  samples(): Float32Array {
    return this.gan.generate(this.z)
  }

  /** Modes covered (ring and grid), and the share of samples near a mode. */
  coverage(samples = this.samples()): { covered: number, of: number, quality: number } | null {
    if (!this.modes.length) return null
    return { ...modeCoverage(samples, this.modes), of: this.modes.length }
  }

  /** D's verdict as res × res RGBA: green where D says "real", purple where it says "fake". */
  discriminatorRgba(res: number, extent = 1.5): Uint8ClampedArray<ArrayBuffer> {
    const p = this.gan.discriminatorGrid(res, extent)
    const img = new Uint8ClampedArray(p.length * 4)
    for (let i = 0; i < p.length; i++) {
      const t = p[i]!
      // #e9def7 (fake) → #ffffff (undecided) → #d3f0dc (real)
      const [r, g, b] = t < 0.5
        ? [233 + (255 - 233) * t * 2, 222 + (255 - 222) * t * 2, 247 + (255 - 247) * t * 2]
        : [255 - (255 - 211) * (t - 0.5) * 2, 255 - (255 - 240) * (t - 0.5) * 2, 255 - (255 - 220) * (t - 0.5) * 2]
      img.set([Math.round(r), Math.round(g), Math.round(b), 255], i * 4)
    }
    return img
  }

  dispose(): void {
    this.gan.dispose()
  }
}
