/** Flicker vs coherence: the starting noises, the frame-to-frame change, and the sprite sheet the slide loops. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SHIPPED_MODELS } from '../../packages/slidev-addon-under-the-hood/demos/runtime/node'
import type { DiffusionConfig } from '../../packages/slidev-addon-under-the-hood/demos/diffusion/sampler'
import { initialLatent } from '../../packages/slidev-addon-under-the-hood/demos/diffusion/sampler'
import { driftingStarts, frameChange, independentStarts, spriteRgba } from '../../packages/slidev-addon-under-the-hood/demos/video/flicker'

const cfg = JSON.parse(readFileSync(join(SHIPPED_MODELS, 'micro-diffusion', 'config.json'), 'utf8')) as DiffusionConfig
const dist = (a: Float32Array, b: Float32Array) => Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0))

describe('flicker vs coherence', () => {
  it('independent frames start from unrelated noises; drifting frames from nearby ones, starting at the seed', () => {
    const own = independentStarts(cfg, 3, 8)
    const drift = driftingStarts(cfg, 3, 8, 0.3)
    expect(own[2]).toEqual(initialLatent(cfg, 5))
    expect(drift[0]).toEqual(initialLatent(cfg, 3))
    const step = (xs: Float32Array[]) => xs.slice(1).map((x, i) => dist(x, xs[i]!))
    expect(Math.max(...step(drift))).toBeLessThan(Math.min(...step(own)) / 5)
  })

  it('measures the change between consecutive frames, ignoring alpha', () => {
    const a = new Uint8ClampedArray([0, 0, 0, 255, 0, 0, 0, 255])
    const b = new Uint8ClampedArray([255, 255, 255, 0, 0, 0, 0, 0])
    expect(frameChange([a, a, a])).toBe(0)
    expect(frameChange([a, b])).toBeCloseTo(0.5)
    expect(frameChange([a])).toBe(0)
  })

  it('lays frames side by side in the sprite sheet', () => {
    const f = (v: number) => new Uint8ClampedArray(2 * 2 * 4).fill(v)
    const s = spriteRgba([f(1), f(2), f(3)], 2)
    expect(s.length).toBe(3 * 2 * 2 * 4)
    // row 0: frame 1's two pixels, frame 2's, frame 3's
    expect([s[0], s[8], s[16], s[24 + 16]]).toEqual([1, 2, 3, 3])
  })
})
