/**
 * A GAN in two dimensions, trained live with TensorFlow.js, as GAN Lab shows it: a generator G turns
 * random 2-D noise z into points; a discriminator D says how likely a point is to be real. They are
 * trained against each other (Goodfellow et al., 2014):
 *
 *   D minimises  −E_x[log D(x)] − E_z[log(1 − D(G(z)))]
 *   G minimises  −E_z[log D(G(z))]          (the "non-saturating" form the paper recommends)
 *
 * Both are small MLPs. Everything is seeded and every step's batch is drawn from (seed, step), so a run
 * is fully described by its data, its settings and its step count: any window can replay it exactly.
 * Framework-free; takes the tf module it runs on (browser backends, or Node for the tests).
 */
import type * as TF from '@tensorflow/tfjs'
import { seededRandom } from '../shared/random'

export interface Point2 { x: number, y: number }

export interface GanSettings {
  /** Units in each of the two hidden layers of G and of D. */
  hidden: number
  learningRateD: number
  learningRateG: number
  /** Generator updates per discriminator update. */
  gSteps: number
  batch: number
}

/** The settings the slide offers: a balanced duel, and one that collapses onto a few modes. */
export const SETTINGS = {
  balanced: { hidden: 32, learningRateD: 2e-3, learningRateG: 2e-3, gSteps: 1, batch: 128 },
  /** G learns 2.5× faster and takes 5 steps per step of D: it finds a spot that fools D and piles up there. */
  collapse: { hidden: 32, learningRateD: 2e-3, learningRateG: 5e-3, gSteps: 5, batch: 128 },
} as const satisfies Record<string, GanSettings>
export type SettingName = keyof typeof SETTINGS

export interface Losses { d: number, g: number }

/** Standard normal numbers from a seeded generator (Box–Muller). */
export function gaussians(rnd: () => number, n: number): Float32Array {
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd())
  return out
}

/** The seed of one update's batch: replaying to an update draws the same batches whatever the chunking. */
export function batchSeed(seed: number, update: number): number {
  return (Math.imul(seed + 1, 0x9E3779B1) ^ Math.imul(update + 1, 0x85EBCA77)) >>> 0
}

interface Mlp { vars: TF.Variable[] }

function mlp(tf: typeof TF, sizes: readonly number[], seed: number): Mlp {
  const vars: TF.Variable[] = []
  for (let i = 0; i + 1 < sizes.length; i++) {
    const [a, b] = [sizes[i]!, sizes[i + 1]!]
    const lim = Math.sqrt(6 / (a + b))
    vars.push(tf.variable(tf.randomUniform([a, b], -lim, lim, 'float32', seed + i), true))
    vars.push(tf.variable(tf.zeros([b]), true))
  }
  return { vars }
}

function forward(tf: typeof TF, net: Mlp, x: TF.Tensor2D): TF.Tensor2D {
  let h = x
  for (let i = 0; i < net.vars.length; i += 2) {
    h = h.matMul(net.vars[i] as TF.Tensor2D).add(net.vars[i + 1]!) as TF.Tensor2D
    if (i + 2 < net.vars.length) h = tf.leakyRelu(h, 0.2) as TF.Tensor2D
  }
  return h
}

export class Gan2d {
  /** Updates made so far, of D and of G together: each draws its batch from (seed, step). */
  step = 0
  private readonly g: Mlp
  private readonly d: Mlp
  private readonly optD: TF.Optimizer
  private readonly optG: TF.Optimizer
  private readonly real: TF.Tensor2D
  private readonly n: number

  constructor(private readonly tf: typeof TF, real: readonly Point2[], readonly settings: GanSettings, readonly seed = 1) {
    if (real.length < 2)
      throw new RangeError('a GAN needs at least 2 real points to learn from')
    const h = settings.hidden
    this.g = mlp(tf, [2, h, h, 2], seed * 100)
    this.d = mlp(tf, [2, h, h, 1], seed * 100 + 50)
    this.optD = tf.train.adam(settings.learningRateD, 0.5, 0.999)
    this.optG = tf.train.adam(settings.learningRateG, 0.5, 0.999)
    this.n = real.length
    this.real = tf.tensor2d(real.map(p => [p.x, p.y]), [real.length, 2])
  }

  /** This update's real batch and noise, drawn from (seed, update number). */
  private batch(): { x: TF.Tensor2D, z: TF.Tensor2D } {
    const rnd = seededRandom(batchSeed(this.seed, this.step))
    const idx = Int32Array.from({ length: this.settings.batch }, () => Math.floor(rnd() * this.n))
    const x = this.tf.gather(this.real, this.tf.tensor1d(idx, 'int32')) as TF.Tensor2D
    const z = this.tf.tensor2d(gaussians(rnd, this.settings.batch * 2), [this.settings.batch, 2])
    return { x, z }
  }

  /** The two losses of the formulas above, for a given real batch and noise (no update). */
  losses(x: TF.Tensor2D, z: TF.Tensor2D): Losses {
    return this.tf.tidy(() => {
      const { d, g } = this.lossTensors(x, z)
      return { d: d.dataSync()[0]!, g: g.dataSync()[0]! }
    })
  }

  private lossTensors(x: TF.Tensor2D, z: TF.Tensor2D): { d: TF.Scalar, g: TF.Scalar } {
    const tf = this.tf
    const fake = forward(tf, this.g, z)
    const realLogits = forward(tf, this.d, x)
    const fakeLogits = forward(tf, this.d, fake)
    // −log σ(a) = softplus(−a); −log(1 − σ(a)) = softplus(a): the stable forms of the formulas.
    const d = tf.add(tf.mean(tf.softplus(tf.neg(realLogits))), tf.mean(tf.softplus(fakeLogits))) as TF.Scalar
    const g = tf.mean(tf.softplus(tf.neg(fakeLogits))) as TF.Scalar
    return { d, g }
  }

  /** One update of D on this update's batch; returns D's loss before it. */
  trainD(): number {
    const loss = this.tf.tidy(() => {
      const { x, z } = this.batch()
      return this.optD.minimize(() => this.lossTensors(x, z).d, true, this.d.vars)!.dataSync()[0]!
    })
    this.step++
    return loss
  }

  /** One update of G on this update's noise; returns G's loss before it. */
  trainG(): number {
    const loss = this.tf.tidy(() => {
      const { x, z } = this.batch()
      return this.optG.minimize(() => this.lossTensors(x, z).g, true, this.g.vars)!.dataSync()[0]!
    })
    this.step++
    return loss
  }

  /** G(z) for the given noise (n × 2, flat). */
  generate(z: Float32Array): Float32Array {
    return this.tf.tidy(() => forward(this.tf, this.g, this.tf.tensor2d(z, [z.length / 2, 2])).dataSync() as Float32Array)
  }

  /** D's probability that each point (n × 2, flat) is real. */
  discriminate(points: Float32Array): Float32Array {
    return this.tf.tidy(() => this.tf.sigmoid(forward(this.tf, this.d, this.tf.tensor2d(points, [points.length / 2, 2]))).dataSync() as Float32Array)
  }

  /** D's probability that a point is real, on a res × res grid over [−extent, extent]² (row 0 at the top). */
  discriminatorGrid(res: number, extent = 1.5): Float32Array {
    return this.tf.tidy(() => {
      const pts = new Float32Array(res * res * 2)
      for (let r = 0; r < res; r++) {
        for (let c = 0; c < res; c++) {
          pts[(r * res + c) * 2] = ((c + 0.5) / res * 2 - 1) * extent
          pts[(r * res + c) * 2 + 1] = (1 - (r + 0.5) / res * 2) * extent
        }
      }
      return this.discriminate(pts)
    })
  }

  dispose(): void {
    for (const v of [...this.g.vars, ...this.d.vars]) v.dispose()
    this.optD.dispose()
    this.optG.dispose()
    this.real.dispose()
  }
}

/**
 * How many of the real distribution's modes the generator covers: a mode counts when at least
 * `minShare` of the samples lie within `radius` of its centre. `quality`: the share of samples near any mode.
 */
export function modeCoverage(samples: Float32Array, centres: readonly Point2[], radius = 0.2, minShare = 0.02): { covered: number, quality: number } {
  const n = samples.length / 2
  const counts = new Array<number>(centres.length).fill(0)
  let near = 0
  for (let i = 0; i < n; i++) {
    const x = samples[i * 2]!
    const y = samples[i * 2 + 1]!
    let best = -1
    let bestD = radius * radius
    centres.forEach((c, k) => {
      const d = (x - c.x) ** 2 + (y - c.y) ** 2
      if (d <= bestD) {
        bestD = d
        best = k
      }
    })
    if (best >= 0) {
      counts[best]!++
      near++
    }
  }
  return { covered: counts.filter(c => c >= minShare * n).length, quality: n ? near / n : 0 }
}
