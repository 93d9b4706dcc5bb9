import { describe, expect, it } from 'vitest'
import { clampStep, cosineSchedule, forwardNoise, gaussianNoise, linearSchedule, rgbaToSigned, signedToRgba } from '../../packages/slidev-addon-under-the-hood/demos/diffusion/schedule'

// Reference values computed independently with numpy (float64), from the papers' definitions.
describe('noise schedules', () => {
  it('linear (DDPM, β 1e-4 → 0.02, T = 1000) matches numpy', () => {
    const s = linearSchedule()
    expect(s.alphaBar[0]).toBe(1)
    expect(s.alphaBar[1]).toBeCloseTo(0.9999, 12)
    expect(s.alphaBar[10]).toBeCloseTo(0.9981052047858344, 12)
    expect(s.alphaBar[250]).toBeCloseTo(0.5240853738253606, 12)
    expect(s.alphaBar[500]).toBeCloseTo(0.07858724288177824, 12)
    expect(s.alphaBar[1000]! / 4.035829765375676e-05).toBeCloseTo(1, 9)
    expect(s.betas[1]).toBeCloseTo(1e-4, 15)
    expect(s.betas[1000]).toBeCloseTo(0.02, 15)
  })

  it('cosine (Nichol & Dhariwal, s = 0.008, clipped at 0.999) matches numpy', () => {
    const s = cosineSchedule()
    expect(s.alphaBar[1]).toBeCloseTo(0.999958715775178, 12)
    expect(s.alphaBar[10]).toBeCloseTo(0.9993687184016583, 12)
    expect(s.alphaBar[250]).toBeCloseTo(0.8470121613269047, 12)
    expect(s.alphaBar[500]).toBeCloseTo(0.49384359044063775, 12)
    expect(s.alphaBar[999]! / 2.428766907034852e-06).toBeCloseTo(1, 9)
    expect(s.betas[1000]).toBe(0.999)
  })

  it('loses information faster with the linear schedule', () => {
    const lin = linearSchedule()
    const cos = cosineSchedule()
    for (const t of [100, 300, 500, 700]) expect(lin.alphaBar[t]!).toBeLessThan(cos.alphaBar[t]!)
    for (let t = 1; t <= 1000; t++) expect(cos.alphaBar[t]!).toBeLessThanOrEqual(cos.alphaBar[t - 1]!)
  })

  it('clamps steps', () => {
    expect(clampStep(-5, 1000)).toBe(0)
    expect(clampStep(10_000, 1000)).toBe(1000)
    expect(clampStep(Number.NaN, 1000)).toBe(0)
    expect(clampStep(12.6, 1000)).toBe(13)
  })
})

describe('forward process', () => {
  it('mixes image and noise as √ᾱ·x0 + √(1−ᾱ)·ε', () => {
    const x = forwardNoise([1, -1, 0.5], [0, 2, -1], 0.25)
    expect(Array.from(x)).toEqual([0.5, -0.5 + Math.sqrt(0.75) * 2, 0.25 - Math.sqrt(0.75)].map(v => Math.fround(v)))
    expect(Array.from(forwardNoise([0.3], [5], 1))).toEqual([Math.fround(0.3)])
  })

  it('draws reproducible standard normal noise', () => {
    const a = gaussianNoise(20_001, 42)
    expect(a).toEqual(gaussianNoise(20_001, 42))
    expect(a).not.toEqual(gaussianNoise(20_001, 43))
    const mean = a.reduce((s, v) => s + v, 0) / a.length
    const variance = a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length
    expect(Math.abs(mean)).toBeLessThan(0.03)
    expect(variance).toBeCloseTo(1, 1)
    expect(a.every(Number.isFinite)).toBe(true)
  })

  it('round-trips pixels through [−1, 1]', () => {
    const rgba = new Uint8ClampedArray([255, 0, 128, 255, 10, 20, 30, 0])
    const x = rgbaToSigned(rgba)
    expect(x[0]).toBeCloseTo(1, 6)
    expect(x[3]).toBeCloseTo((230 / 255) * 2 - 1, 6) // transparent → background
    expect(Array.from(signedToRgba(x))).toEqual([255, 0, 128, 255, 230, 230, 230, 255])
  })
})
