/**
 * Flicker vs coherence with an image model: a clip's frames made independently (each frame its own
 * noise) flicker; frames whose starting noise is shared and varied only slightly change much less from
 * one frame to the next. Starting noises here, the clip's frame-to-frame change, and the sampling in
 * ../diffusion/explore.ts.
 */
import type { DiffusionConfig } from '../diffusion/sampler'
import { initialLatent, slerp } from '../diffusion/sampler'
import { rgbaToDataUrl } from '../images/canvas'

export const LIMITS = { minFrames: 2, maxFrames: 16 } as const

/** Each frame its own seed: seed, seed + 1, …. */
export function independentStarts(cfg: DiffusionConfig, seed: number, frames: number): Float32Array[] {
  return Array.from({ length: frames }, (_, i) => initialLatent(cfg, seed + i))
}

/**
 * One noise, drifting: frame i starts from the noise of `seed` turned towards the noise of `seed + 1` by
 * `amount` · i / (frames − 1) of the way (spherical interpolation keeps it noise-like).
 */
export function driftingStarts(cfg: DiffusionConfig, seed: number, frames: number, amount = 0.3): Float32Array[] {
  const a = initialLatent(cfg, seed)
  const b = initialLatent(cfg, seed + 1)
  return Array.from({ length: frames }, (_, i) => slerp(a, b, frames === 1 ? 0 : (amount * i) / (frames - 1)))
}

/** Mean absolute change of the RGB values (0…1) between consecutive frames: how much a clip flickers. */
export function frameChange(frames: readonly ArrayLike<number>[]): number {
  if (frames.length < 2) return 0
  let sum = 0
  let n = 0
  for (let f = 1; f < frames.length; f++) {
    const a = frames[f - 1]!
    const b = frames[f]!
    for (let i = 0; i < a.length; i++) {
      if (i % 4 === 3) continue // alpha
      sum += Math.abs(a[i]! - b[i]!) / 255
      n++
    }
  }
  return n ? sum / n : 0
}

/** Frames side by side in one RGBA picture (a sprite sheet the slide loops with CSS). */
export function spriteRgba(frames: readonly Uint8ClampedArray[], size: number): Uint8ClampedArray<ArrayBuffer> {
  const n = frames.length
  const out = new Uint8ClampedArray(n * size * size * 4)
  frames.forEach((f, k) => {
    for (let y = 0; y < size; y++) out.set(f.subarray(y * size * 4, (y + 1) * size * 4), (y * n * size + k * size) * 4)
  })
  return out
}

/**
 * The inline style that loops `frames` (size × size each) in a box `shown` pixels wide, `fps` frames a
 * second: the sprite sheet as background, stepped by a CSS animation that moves it to `--end` (the view
 * declares the keyframes). No script runs while it plays. Empty when there are no frames.
 */
export function spriteLoopStyle(frames: readonly Uint8ClampedArray[], size: number, shown: number, fps = 6): Record<string, string> {
  const n = frames.length
  if (!n) return {}
  return {
    backgroundImage: `url(${rgbaToDataUrl(spriteRgba(frames, size), n * size, size)})`,
    backgroundSize: `${n * shown}px ${shown}px`,
    animationDuration: `${n / fps}s`,
    animationTimingFunction: `steps(${n})`,
    '--end': `-${n * shown}px`,
  }
}
