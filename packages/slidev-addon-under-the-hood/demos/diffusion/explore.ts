/**
 * Many generations at once for the guidance-and-seeds demo: a guidance strip (one seed, several
 * guidance weights), a seed grid, a 2D map of seeds (PCA of their final latents, via ml-pca), and a
 * walk between two seeds (spherical interpolation of the starting noise). Each call is one batched
 * generation: k latents → batch 2k per denoiser call.
 */
import { PCA } from 'ml-pca'
import type { Conditioning, DiffusionConfig, DiffusionNets, GenerateParams } from './sampler'
import { decodeScaled, generate, guidanceTexts, initialLatent, latentSize, planarToRgba, slerp } from './sampler'
import { repeatConditioning } from './nets'

export interface Batch {
  /** Final latents (scaled), k × latentSize. */
  latents: Float32Array
  /** Decoded images as RGBA bytes, one per latent. */
  images: Uint8ClampedArray<ArrayBuffer>[]
}

/** Latents per denoiser call: 8 latents = batch 16, which keeps one call well under 200 ms on a laptop CPU. */
export const MAX_PER_CALL = 8

/**
 * Runs k latents through the reverse process, in batches of at most MAX_PER_CALL latents (one denoiser
 * call per step and batch). `onStep(done, total)` reports progress over all batches.
 */
export async function runBatch(nets: DiffusionNets, cfg: DiffusionConfig, params: GenerateParams, starts: Float32Array[],
  guidances: number[], opts: { cond?: Conditioning, onStep?: (done: number, total: number) => void | Promise<void>, signal?: AbortSignal } = {}): Promise<Batch | null> {
  if (starts.length > MAX_PER_CALL) {
    const cond = opts.cond ?? await nets.encodeText(guidanceTexts(cfg, params))
    const parts = Math.ceil(starts.length / MAX_PER_CALL)
    const latents: number[] = []
    const images: Uint8ClampedArray<ArrayBuffer>[] = []
    for (let p = 0; p < parts; p++) {
      const sl = (a: readonly unknown[]) => a.slice(p * MAX_PER_CALL, (p + 1) * MAX_PER_CALL)
      const b = await runBatch(nets, cfg, params, sl(starts) as Float32Array[], sl(guidances) as number[], {
        ...opts, cond, onStep: (d, t) => opts.onStep?.(p * t + d, parts * t),
      })
      if (!b) return null
      latents.push(...b.latents)
      images.push(...b.images)
    }
    return { latents: Float32Array.from(latents), images }
  }
  const n = latentSize(cfg)
  const k = starts.length
  const start = new Float32Array(n * k)
  starts.forEach((s, i) => start.set(s, i * n))
  const base = opts.cond ?? await nets.encodeText(guidanceTexts(cfg, params))
  const cond = repeatConditioning(base, k)
  let latents: Float32Array = start
  for await (const s of generate(nets, cfg, params, { cond, start, guidances, signal: opts.signal })) {
    latents = s.next
    await opts.onStep?.(s.index + 1, s.total)
  }
  if (opts.signal?.aborted) return null
  const images = planarToRgba(await decodeScaled(nets, cfg, latents, k), k, cfg.image.size)
  return { latents, images }
}

export function guidanceStrip(nets: DiffusionNets, cfg: DiffusionConfig, params: GenerateParams, weights: number[],
  opts?: Parameters<typeof runBatch>[5]): Promise<Batch | null> {
  return runBatch(nets, cfg, params, weights.map(() => initialLatent(cfg, params.seed)), weights, opts)
}

export function seedGrid(nets: DiffusionNets, cfg: DiffusionConfig, params: GenerateParams, seeds: number[],
  opts?: Parameters<typeof runBatch>[5]): Promise<Batch | null> {
  return runBatch(nets, cfg, params, seeds.map(s => initialLatent(cfg, s)), seeds.map(() => params.guidance), opts)
}

/** The walk between two seeds: starting noises slerped at `count` evenly spaced points. */
export function seedWalk(nets: DiffusionNets, cfg: DiffusionConfig, params: GenerateParams, a: number, b: number, count: number,
  opts?: Parameters<typeof runBatch>[5]): Promise<Batch | null> {
  const na = initialLatent(cfg, a)
  const nb = initialLatent(cfg, b)
  const starts = Array.from({ length: count }, (_, i) => slerp(na, nb, count === 1 ? 0 : i / (count - 1)))
  return runBatch(nets, cfg, params, starts, starts.map(() => params.guidance), opts)
}

/**
 * 2D positions for latents (PCA on the final latents), scaled into [0, 1]². Images that look alike
 * land close together; the axes are the two directions along which these images differ most.
 */
export function mapLatents(latents: Float32Array, k: number): { x: number, y: number }[] {
  const n = latents.length / k
  const rows = Array.from({ length: k }, (_, i) => Array.from(latents.subarray(i * n, (i + 1) * n)))
  if (k < 3)
    return rows.map((_, i) => ({ x: k === 1 ? 0.5 : i, y: 0.5 }))
  const pca = new PCA(rows, { center: true, scale: false })
  const p = pca.predict(rows, { nComponents: 2 }).to2DArray()
  const norm = (vals: number[]) => {
    const lo = Math.min(...vals)
    const hi = Math.max(...vals)
    return vals.map(v => (hi - lo < 1e-9 ? 0.5 : (v - lo) / (hi - lo)))
  }
  const xs = norm(p.map(r => r[0]!))
  const ys = norm(p.map(r => r[1]!))
  return xs.map((x, i) => ({ x, y: ys[i]! }))
}
