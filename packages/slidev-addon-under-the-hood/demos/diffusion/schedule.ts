/**
 * Diffusion noise schedules and the forward process, computed (not tabulated).
 *
 * Index convention: t = 0 is the clean image (ᾱ_0 = 1); t = 1 … T are the noising steps of DDPM
 * (Ho et al., 2020), so ᾱ_t = ∏_{s=1}^{t} (1 − β_s).
 */

import { BACKGROUND, compositeRgb } from '../images/composite'

export type ScheduleKind = 'linear' | 'cosine'

export interface Schedule {
  kind: ScheduleKind
  T: number
  /** β_1 … β_T at indices 1 … T (index 0 unused, 0). */
  betas: Float64Array
  /** ᾱ_0 … ᾱ_T. */
  alphaBar: Float64Array
}

/** DDPM's linear schedule: β from 1e-4 to 0.02 over T steps. */
export function linearSchedule(T = 1000, betaStart = 1e-4, betaEnd = 0.02): Schedule {
  const betas = new Float64Array(T + 1)
  for (let t = 1; t <= T; t++) betas[t] = T === 1 ? betaStart : betaStart + ((betaEnd - betaStart) * (t - 1)) / (T - 1)
  return { kind: 'linear', T, betas, alphaBar: cumulative(betas) }
}

/**
 * The cosine schedule of Nichol & Dhariwal (2021): ᾱ_t = f(t)/f(0), f(t) = cos²(((t/T + s)/(1 + s))·π/2),
 * with β_t = 1 − ᾱ_t/ᾱ_{t−1} clipped at 0.999 (as in their code), then ᾱ recomputed from the β.
 */
export function cosineSchedule(T = 1000, s = 0.008): Schedule {
  const f = (t: number) => Math.cos((((t / T) + s) / (1 + s)) * Math.PI / 2) ** 2
  const betas = new Float64Array(T + 1)
  for (let t = 1; t <= T; t++) betas[t] = Math.min(1 - f(t) / f(t - 1), 0.999)
  return { kind: 'cosine', T, betas, alphaBar: cumulative(betas) }
}

export function schedule(kind: ScheduleKind, T = 1000): Schedule {
  return kind === 'cosine' ? cosineSchedule(T) : linearSchedule(T)
}

function cumulative(betas: Float64Array): Float64Array {
  const ab = new Float64Array(betas.length)
  ab[0] = 1
  for (let t = 1; t < betas.length; t++) ab[t] = ab[t - 1]! * (1 - betas[t]!)
  return ab
}

/** Clamps a step to 0 … T (NaN → 0). */
export function clampStep(t: number, T: number): number {
  return Number.isFinite(t) ? Math.min(T, Math.max(0, Math.round(t))) : 0
}

/** x_t = √ᾱ_t · x_0 + √(1 − ᾱ_t) · ε, element-wise, into `out`. */
export function forwardNoise(x0: ArrayLike<number>, eps: ArrayLike<number>, alphaBar: number, out = new Float32Array(x0.length)): Float32Array {
  const a = Math.sqrt(alphaBar)
  const b = Math.sqrt(1 - alphaBar)
  for (let i = 0; i < x0.length; i++) out[i] = a * x0[i]! + b * eps[i]!
  return out
}

/** Seeded standard Gaussian noise (mulberry32 + Box–Muller): identical on every machine and backend. */
export function gaussianNoise(n: number, seed: number): Float32Array {
  let a = (Math.floor(seed) >>> 0) ^ 0x85EBCA6B
  const uniform = () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296 // in (0, 1): log() never sees 0
  }
  const out = new Float32Array(n)
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform()))
    const phi = 2 * Math.PI * uniform()
    out[i] = r * Math.cos(phi)
    if (i + 1 < n) out[i + 1] = r * Math.sin(phi)
  }
  return out
}

/** RGBA bytes (alpha composited on `background`) → values in [−1, 1], channel-interleaved RGB. */
export function rgbaToSigned(data: ArrayLike<number>, background = BACKGROUND): Float32Array {
  return compositeRgb(data, { background, signed: true })
}

/** Values in [−1, 1] (interleaved RGB) → opaque RGBA bytes, clipped. */
export function signedToRgba(x: ArrayLike<number>, out: Uint8ClampedArray<ArrayBuffer> = new Uint8ClampedArray((x.length / 3) * 4)): Uint8ClampedArray<ArrayBuffer> {
  for (let i = 0, n = x.length / 3; i < n; i++) {
    for (let c = 0; c < 3; c++) out[i * 4 + c] = Math.round((x[i * 3 + c]! + 1) * 127.5)
    out[i * 4 + 3] = 255
  }
  return out
}
