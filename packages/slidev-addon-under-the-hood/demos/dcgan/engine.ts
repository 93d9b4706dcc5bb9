/**
 * An image GAN's generator, scrubbed through its training: micro-GAN ships ONNX snapshots of a DCGAN
 * generator taken during training (config.json lists them). One pass of a snapshot turns `nz` random
 * numbers into a picture; the same numbers through later snapshots show the faces emerging. A latent walk
 * moves between two noise vectors on the sphere where they live (slerp). Framework-free; the runtime
 * hands it ORT and the sessions.
 */
import type { OrtLike, SessionLike } from '../runtime/ort'
import { gaussianNoise } from '../diffusion/schedule'
import { planarToRgba, slerp } from '../diffusion/sampler'

export interface GanSnapshot { step: number, fraction: number, file: string }
export interface GanConfig {
  model_type: 'dcgan'
  nz: number
  image_size: number
  output_range: [number, number]
  steps: number
  snapshots: GanSnapshot[]
}

export class GanConfigError extends Error {}

/** The model folder's config.json, checked: a clear message for anything that is not a micro-GAN's. */
export function checkGanConfig(raw: unknown, model = 'the model'): GanConfig {
  const c = raw as Partial<GanConfig> | null
  const bad = (why: string) => new GanConfigError(`${model} is not a GAN this demo can run: ${why}`)
  if (!c || typeof c !== 'object') throw bad('config.json is not an object')
  if (c.model_type !== 'dcgan') throw bad(`model_type is ${JSON.stringify(c.model_type)}, not "dcgan"`)
  if (!Number.isInteger(c.nz) || c.nz! < 1 || c.nz! > 4096) throw bad('nz (the length of the noise vector) is missing or out of range')
  if (!Number.isInteger(c.image_size) || c.image_size! < 4 || c.image_size! > 1024) throw bad('image_size is missing or out of range')
  if (!Array.isArray(c.snapshots) || !c.snapshots.length) throw bad('it lists no generator snapshots')
  for (const s of c.snapshots) {
    if (!s || typeof s.file !== 'string' || !Number.isFinite(s.step)) throw bad('a snapshot lacks its step or file')
  }
  const steps = [...c.snapshots].map(s => s.step)
  if (steps.some((s, i) => i > 0 && s <= steps[i - 1]!)) throw bad('the snapshots are not in training order')
  return c as GanConfig
}

/** `n` noise vectors of length nz: seed k gives the same vector on every machine. */
export function ganNoise(nz: number, seeds: readonly number[]): Float32Array {
  const z = new Float32Array(nz * seeds.length)
  seeds.forEach((s, k) => z.set(gaussianNoise(nz, 7919 * s + 17), k * nz))
  return z
}

/** `n` points from a to b (both ends included), on the sphere where Gaussian noise lives (diffusion's slerp). */
export function latentWalk(a: Float32Array, b: Float32Array, n: number): Float32Array {
  const out = new Float32Array(a.length * n)
  for (let k = 0; k < n; k++) out.set(slerp(a, b, n === 1 ? 0 : k / (n - 1)), k * a.length)
  return out
}

export class GanSnapshots {
  constructor(readonly config: GanConfig, private readonly ort: OrtLike, private readonly sessions: readonly SessionLike[]) {
    if (sessions.length !== config.snapshots.length)
      throw new GanConfigError(`${config.snapshots.length} snapshots listed, ${sessions.length} loaded`)
  }

  get count(): number { return this.sessions.length }

  /** Raw generator output for a batch of noise vectors: planar [n, 3, S, S] in [-1, 1]. */
  async generate(snapshot: number, z: Float32Array): Promise<Float32Array> {
    const { nz, image_size: s } = this.config
    const n = z.length / nz
    if (!Number.isInteger(n) || n < 1) throw new GanConfigError(`noise of length ${z.length} is not a whole number of ${nz}-vectors`)
    const session = this.sessions[snapshot]
    if (!session) throw new RangeError(`no snapshot ${snapshot} (there are ${this.count})`)
    const out = await session.run({ z: new this.ort.Tensor('float32', z, [n, nz]) })
    const image = out.image
    if (!image || image.dims.join() !== [n, 3, s, s].join())
      throw new GanConfigError(`the generator returned ${image ? `[${image.dims.join(', ')}]` : 'nothing'}, not [${n}, 3, ${s}, ${s}]: a different model than config.json describes`)
    return image.data as Float32Array
  }

  /** RGBA pictures, one per noise vector. */
  async images(snapshot: number, z: Float32Array): Promise<Uint8ClampedArray<ArrayBuffer>[]> {
    const x = await this.generate(snapshot, z)
    return planarToRgba(x, z.length / this.config.nz, this.config.image_size)
  }
}
