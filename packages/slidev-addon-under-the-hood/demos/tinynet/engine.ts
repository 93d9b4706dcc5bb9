/**
 * A tiny network trained live with TensorFlow.js: 2 inputs (a point's x and y) → one hidden layer of
 * tanh units → 1 output (the probability of the orange group). Full-batch Adam on binary cross-entropy.
 * Everything a slide shows is read from here: loss, accuracy, every weight, and the decision boundary
 * (the network's answer on a grid over the square). Framework-free; takes the tf module it runs on, so
 * the same code trains in the browser (WebGPU/WASM/WebGL) and in Node (tests).
 */
import type * as TF from '@tensorflow/tfjs'
import type { Point } from './data'

export interface TinyNetOptions {
  hidden?: number
  learningRate?: number
  seed?: number
}

export interface Weights {
  /** [2][hidden]: input → hidden. */
  w1: number[][]
  b1: number[]
  /** [hidden]: hidden → output. */
  w2: number[]
  b2: number
}

export interface StepResult { step: number, loss: number, accuracy: number }

export const MAX_HIDDEN = 64

export class TinyNet {
  readonly hidden: number
  readonly learningRate: number
  step = 0
  private readonly vars: TF.Variable[]
  private readonly opt: TF.Optimizer
  private x?: TF.Tensor2D
  private y?: TF.Tensor2D
  private n = 0
  private val?: { x: TF.Tensor2D, y: TF.Tensor2D }
  private gridCache?: { res: number, t: TF.Tensor2D }

  constructor(private readonly tf: typeof TF, { hidden = 8, learningRate = 0.03, seed = 1 }: TinyNetOptions = {}) {
    if (!Number.isInteger(hidden) || hidden < 1 || hidden > MAX_HIDDEN)
      throw new RangeError(`hidden units must be a whole number from 1 to ${MAX_HIDDEN} (got ${hidden})`)
    this.hidden = hidden
    this.learningRate = learningRate
    // Glorot-uniform starting weights, seeded: the same seed starts from the same network.
    const l1 = Math.sqrt(6 / (2 + hidden))
    const l2 = Math.sqrt(6 / (hidden + 1))
    this.vars = [
      tf.variable(tf.randomUniform([2, hidden], -l1, l1, 'float32', seed), true, undefined, 'float32'),
      tf.variable(tf.zeros([hidden]), true),
      tf.variable(tf.randomUniform([hidden, 1], -l2, l2, 'float32', seed + 1), true),
      tf.variable(tf.zeros([1]), true),
    ]
    this.opt = tf.train.adam(learningRate)
  }

  /** The training points (replaces the previous ones; the weights and the optimiser carry on). */
  setData(points: readonly Point[]): void {
    this.x?.dispose()
    this.y?.dispose()
    this.n = points.length
    this.x = this.tf.tensor2d(points.map(p => [p.x, p.y]), [points.length, 2])
    this.y = this.tf.tensor2d(points.map(p => [p.label]), [points.length, 1])
  }

  /** Held-out points the network never trains on: its loss on them shows whether it generalises. */
  setValidation(points: readonly Point[]): void {
    this.val?.x.dispose()
    this.val?.y.dispose()
    this.val = points.length
      ? { x: this.tf.tensor2d(points.map(p => [p.x, p.y]), [points.length, 2]), y: this.tf.tensor2d(points.map(p => [p.label]), [points.length, 1]) }
      : undefined
  }

  /** Loss and share on the right side, on the validation points (null without them). */
  async validation(): Promise<{ loss: number, accuracy: number } | null> {
    const val = this.val
    if (!val) return null
    const [loss, right] = this.tf.tidy(() => {
      const logits = this.logits(val.x)
      return [this.tf.losses.sigmoidCrossEntropy(val.y, logits), logits.greater(0).cast('float32').equal(val.y).cast('float32').mean()]
    })
    const out = { loss: (await loss!.data())[0]!, accuracy: (await right!.data())[0]! }
    loss!.dispose()
    right!.dispose()
    return out
  }

  private logits(x: TF.Tensor2D): TF.Tensor2D {
    const [w1, b1, w2, b2] = this.vars as [TF.Variable, TF.Variable, TF.Variable, TF.Variable]
    return this.tf.tanh(x.matMul(w1 as TF.Tensor2D).add(b1)).matMul(w2 as TF.Tensor2D).add(b2) as TF.Tensor2D
  }

  /** `n` optimiser steps on all points; returns the loss before the last update and the accuracy after. */
  async train(n = 1): Promise<StepResult> {
    if (!this.x || !this.y || this.n === 0)
      throw new Error('no points to learn from: add some points first')
    const { x, y } = this
    let cost: TF.Scalar | null = null
    for (let i = 0; i < n; i++) {
      cost?.dispose()
      cost = this.opt.minimize(() => this.tf.losses.sigmoidCrossEntropy(y, this.logits(x)) as TF.Scalar, true, this.vars)
      this.step++
    }
    const loss = (await cost!.data())[0]!
    cost!.dispose()
    return { step: this.step, loss, accuracy: await this.accuracy() }
  }

  /** Share of the training points on the right side of the boundary. */
  async accuracy(): Promise<number> {
    if (!this.x || !this.y || this.n === 0) return 0
    const { x, y } = this
    const right = this.tf.tidy(() => this.logits(x).greater(0).cast('float32').equal(y).cast('float32').mean())
    const v = (await right.data())[0]!
    right.dispose()
    return v
  }

  /** The network's probability of "orange" on a res × res grid over [−1, 1]², row by row from the top. */
  async grid(res = 40): Promise<Float32Array> {
    if (this.gridCache?.res !== res) {
      this.gridCache?.t.dispose()
      const pts: number[][] = []
      for (let r = 0; r < res; r++) {
        for (let c = 0; c < res; c++) pts.push([-1 + (2 * c + 1) / res, 1 - (2 * r + 1) / res])
      }
      this.gridCache = { res, t: this.tf.tensor2d(pts, [res * res, 2]) }
    }
    const grid = this.gridCache.t
    const p = this.tf.tidy(() => this.tf.sigmoid(this.logits(grid)))
    const out = await p.data() as Float32Array
    p.dispose()
    return out
  }

  weights(): Weights {
    const [w1, b1, w2, b2] = this.vars.map(v => v.arraySync()) as [number[][], number[], number[][], number[]]
    return { w1, b1, w2: w2.map(r => r[0]!), b2: b2[0]! }
  }

  dispose(): void {
    this.vars.forEach(v => v.dispose())
    this.opt.dispose()
    this.x?.dispose()
    this.y?.dispose()
    this.val?.x.dispose()
    this.val?.y.dispose()
    this.gridCache?.t.dispose()
  }
}
