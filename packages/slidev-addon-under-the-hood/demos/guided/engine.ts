/**
 * CLIP-guided generation, the VQGAN+CLIP idea on our own models: start from a random latent, decode it
 * with micro-diffusion's VAE, look at the picture with micro-CLIP's image encoder through a few random
 * crops and shifts, and move the latent along the gradient that makes the picture more similar to the
 * prompt's text embedding. Repeat. Both networks run on TensorFlow.js (graph.ts) so the gradient can
 * flow back through them; the text embedding comes from the usual ONNX text encoder. Framework-free.
 */
import type * as TF from '@tensorflow/tfjs'
import { seededRandom } from '../shared/random'
import type { TfGraph } from './graph'

export interface GuidedModels {
  decoder: TfGraph
  vision: TfGraph
  /** Divide diffusion-space latents by this before decoding (config.latent.scaling_factor). */
  scaling: number
  latentShape: [number, number, number, number]
}

export interface GuidedOptions {
  learningRate?: number
  /** Random views of the picture per step (crops and shifts, as the original notebooks do). */
  cutouts?: number
  /** Pull of the latent towards a normal distribution (keeps it decodable). */
  prior?: number
}

/** The seed of one iteration's crops: replaying gives the same views whatever the pace. */
function viewSeed(seed: number, iteration: number): number {
  return (Math.imul(seed + 7, 0x9E3779B1) ^ Math.imul(iteration + 1, 0x85EBCA77)) >>> 0
}

export class GuidedRun {
  iteration = 0
  /** Similarity (cosine, no augmentation) after each iteration; index 0 is the start. */
  readonly history: number[] = []
  private readonly z: TF.Variable
  private readonly text: TF.Tensor2D
  private readonly opt: TF.Optimizer
  private readonly cutouts: number
  private readonly prior: number

  constructor(private readonly tf: typeof TF, private readonly m: GuidedModels, textEmbed: Float32Array, start: Float32Array,
    readonly seed: number, { learningRate = 0.08, cutouts = 2, prior = 0.02 }: GuidedOptions = {}) {
    this.z = tf.variable(tf.tensor(start, m.latentShape), true)
    this.text = tf.tidy(() => {
      const t = tf.tensor2d(textEmbed, [1, textEmbed.length])
      return tf.div(t, tf.norm(t)) as TF.Tensor2D
    })
    this.opt = tf.train.adam(learningRate)
    this.cutouts = cutouts
    this.prior = prior
    this.history.push(this.similarity())
  }

  /** The decoded picture in [−1, 1], NCHW. */
  private picture(): TF.Tensor4D {
    return this.tf.clipByValue(this.m.decoder.run({ latent: this.tf.div(this.z, this.m.scaling) }), -1, 1) as TF.Tensor4D
  }

  /** Cosine similarity of CLIP's embeddings of these (NCHW, normalised) pictures with the prompt's. */
  private cosines(pixels: TF.Tensor4D): TF.Tensor1D {
    const tf = this.tf
    const e = this.m.vision.run({ pixel_values: pixels }) as TF.Tensor2D
    const unit = tf.div(e, tf.norm(e, 'euclidean', 1, true))
    return tf.reshape(tf.matMul(unit, this.text, false, true), [-1]) as TF.Tensor1D
  }

  /** Random views of the picture: crops of 22–32 pixels resized back, shifted by up to 3 pixels. */
  private views(pic: TF.Tensor4D): TF.Tensor4D {
    const tf = this.tf
    const rnd = seededRandom(viewSeed(this.seed, this.iteration))
    const [, , h, w] = pic.shape
    const nhwc = tf.transpose(pic, [0, 2, 3, 1]) as TF.Tensor4D
    const padded = tf.pad(nhwc, [[0, 0], [3, 3], [3, 3], [0, 0]], 0) as TF.Tensor4D
    const out: TF.Tensor4D[] = []
    for (let k = 0; k < this.cutouts; k++) {
      const size = Math.round(22 + rnd() * (w - 22))
      const y = 3 + Math.floor(rnd() * (h - size + 1)) + Math.round((rnd() - 0.5) * 6)
      const x = 3 + Math.floor(rnd() * (w - size + 1)) + Math.round((rnd() - 0.5) * 6)
      const crop = tf.slice(padded, [0, Math.max(0, y), Math.max(0, x), 0], [1, size, size, 3])
      out.push(tf.image.resizeBilinear(crop, [h, w]) as TF.Tensor4D)
    }
    return tf.transpose(tf.concat(out, 0), [0, 3, 1, 2]) as TF.Tensor4D
  }

  /** One step along the gradient; returns the similarity of the new picture (no augmentation). */
  step(): number {
    const tf = this.tf
    tf.tidy(() => {
      this.opt.minimize(() => {
        const sim = tf.mean(this.cosines(this.views(this.picture())))
        const prior = tf.mul(tf.mean(tf.square(this.z)), this.prior)
        return tf.sub(prior, sim) as TF.Scalar
      }, false, [this.z])
    })
    this.iteration++
    const s = this.similarity()
    this.history.push(s)
    return s
  }

  similarity(): number {
    return this.tf.tidy(() => this.cosines(this.picture()).dataSync()[0]!)
  }

  /** The picture as RGBA bytes (side × side). */
  rgba(): Uint8ClampedArray<ArrayBuffer> {
    const data = this.tf.tidy(() => this.picture().dataSync() as Float32Array)
    const px = data.length / 3
    const out = new Uint8ClampedArray(px * 4)
    for (let i = 0; i < px; i++) {
      for (let c = 0; c < 3; c++) out[i * 4 + c] = Math.round((data[c * px + i]! + 1) * 127.5)
      out[i * 4 + 3] = 255
    }
    return out
  }

  dispose(): void {
    this.z.dispose()
    this.text.dispose()
    this.opt.dispose()
  }
}
