/**
 * One training run of the tiny network, as the slide shows it: the data set, the points people added
 * (each with the step at which it was added), the loss history and the decision-boundary picture.
 *
 * Training is deterministic (seeded weights, full-batch steps), so a run is fully described by its data
 * set, its hidden units, its added points and its step count. `replayTo` brings any window to exactly
 * that state: it carries on when it can and starts again from the seed when it cannot (it is ahead,
 * or it added a point at another step than the one recorded). That is how the presenter's and the
 * audience's windows show the same network when training pauses, whatever their frame rates.
 */
import type * as TF from '@tensorflow/tfjs'
import type { DatasetKind, Point } from './data'
import { makeDataset } from './data'
import { TinyNet } from './engine'
import type { Weights } from './engine'

export interface AddedPoint extends Point {
  /** The training step at which the point was added. */
  at: number
}

export interface RunSpec {
  dataset: DatasetKind
  hidden: number
  /** Training points per group (60 unless the overfitting controls change it). */
  size?: number
  /** Extra noise on every point, training and validation alike (0: the data set as drawn). */
  jitter?: number
  seed?: number
}

/** Validation points per group: drawn like the training points, never trained on. */
export const VALIDATION_PER_CLASS = 100

/** Steps per chunk when replaying: one loss point per chunk in the curve. */
const REPLAY_CHUNK = 10

export class TrainingRun {
  readonly net: TinyNet
  readonly base: Point[]
  points: Point[]
  /** Loss after each training call (one per frame while playing). */
  readonly history: number[] = []
  /** The step each entry of `history` was taken at. */
  readonly stepsAt: number[] = []
  /** Validation loss beside each entry of `history`. */
  readonly valHistory: number[] = []
  readonly validation: Point[]
  loss: number | null = null
  accuracy: number | null = null
  valLoss: number | null = null
  valAccuracy: number | null = null
  /** How many of the declared added points this run has taken in. */
  private applied = 0
  /** False once a point went in at another step than the one recorded. */
  private exact = true

  constructor(private readonly tf: typeof TF, readonly spec: RunSpec) {
    this.base = makeDataset(spec.dataset, spec.size ?? 60, 1, undefined, spec.jitter ?? 0)
    this.validation = makeDataset(spec.dataset, VALIDATION_PER_CLASS, 2, undefined, spec.jitter ?? 0)
    this.points = this.base
    this.net = new TinyNet(tf, { hidden: spec.hidden, seed: spec.seed ?? 1 })
    this.net.setData(this.points)
    this.net.setValidation(this.validation)
  }

  get step(): number {
    return this.net.step
  }

  /** Takes in the added points this run has not seen yet (a click here or in another window). */
  take(added: readonly AddedPoint[]): boolean {
    if (added.length < this.applied) {
      this.exact = false
      return false
    }
    if (added.length === this.applied) return false
    for (const p of added.slice(this.applied)) {
      if (p.at !== this.step) this.exact = false
    }
    this.applied = added.length
    this.points = [...this.base, ...added.map(({ x, y, label }) => ({ x, y, label }))]
    this.net.setData(this.points)
    return true
  }

  /** `n` optimiser steps; one point of loss history. */
  async train(n = 1): Promise<void> {
    const r = await this.net.train(n)
    this.loss = r.loss
    this.accuracy = r.accuracy
    this.history.push(r.loss)
    this.stepsAt.push(this.step)
    const v = await this.net.validation()
    this.valLoss = v?.loss ?? null
    this.valAccuracy = v?.accuracy ?? null
    this.valHistory.push(v?.loss ?? Number.NaN)
  }

  /**
   * The step at which validation loss was lowest, when it has since risen by more than 10 % while the
   * training loss kept falling: the point where the network started to memorise (null otherwise).
   */
  overfitSince(): { step: number, loss: number } | null {
    const v = this.valHistory
    if (v.length < 3) return null
    let best = 0
    v.forEach((x, i) => { if (x < v[best]!) best = i })
    const last = v.length - 1
    const trainFell = this.history[last]! < this.history[best]!
    if (best === last || !(v[last]! > v[best]! * 1.1) || !trainFell) return null
    return { step: this.stepsAt[best]!, loss: v[best]! }
  }

  async refreshAccuracy(): Promise<void> {
    if (this.step > 0) this.accuracy = await this.net.accuracy()
  }

  /** True when this run can reach `target` with `added` by carrying on. */
  canReach(target: number, added: readonly AddedPoint[]): boolean {
    if (!this.exact || this.step > target || added.length < this.applied) return false
    return added.slice(this.applied).every(p => p.at >= this.step)
  }

  /** Trains on, taking each added point in at its recorded step, until `target`. */
  async trainTo(target: number, added: readonly AddedPoint[], shouldStop: () => boolean = () => false): Promise<void> {
    while (this.step < target && !shouldStop()) {
      const next = added.slice(this.applied).find(p => p.at >= this.step)
      if (next && next.at === this.step) {
        this.take(added.slice(0, added.indexOf(next) + 1))
        continue
      }
      const until = Math.min(target, next ? next.at : target)
      await this.train(Math.min(REPLAY_CHUNK, until - this.step))
    }
    if (this.step === target) this.take(added.filter(p => p.at <= target))
  }

  weights(): Weights {
    return this.net.weights()
  }

  /** The decision boundary as res × res RGBA: blue where the network says "blue", orange where it says "orange". */
  async boundary(res: number): Promise<Uint8ClampedArray<ArrayBuffer>> {
    return boundaryRgba(await this.net.grid(res))
  }

  dispose(): void {
    this.net.dispose()
  }
}

/** Probabilities of "orange" on a grid → RGBA shading between light blue (#dbe8f8) and light orange (#fde3d1). */
export function boundaryRgba(p: Float32Array): Uint8ClampedArray<ArrayBuffer> {
  const img = new Uint8ClampedArray(p.length * 4)
  for (let i = 0; i < p.length; i++) {
    const t = p[i]!
    img[i * 4] = Math.round(219 + (253 - 219) * t)
    img[i * 4 + 1] = Math.round(232 + (227 - 232) * t)
    img[i * 4 + 2] = Math.round(248 + (209 - 248) * t)
    img[i * 4 + 3] = 255
  }
  return img
}

/**
 * Training and validation loss as two SVG polylines in a width × height box, on one scale (at most 300
 * points each). A non-finite validation value (no validation set) leaves that curve empty.
 */
export function lossCurves(train: readonly number[], val: readonly number[], width: number, height: number): { train: string, val: string } {
  if (train.length < 2) return { train: '', val: '' }
  const every = Math.ceil(train.length / 300)
  const idx = train.map((_, i) => i).filter(i => i % every === 0 || i === train.length - 1)
  const top = Math.max(0.1, ...idx.map(i => train[i]!), ...idx.map(i => val[i]!).filter(Number.isFinite))
  const line = (a: readonly number[]) => idx.every(i => Number.isFinite(a[i]))
    ? idx.map((i, k) => `${((k / (idx.length - 1)) * width).toFixed(1)},${(height - (a[i]! / top) * (height - 4)).toFixed(1)}`).join(' ')
    : ''
  return { train: line(train), val: line(val) }
}
