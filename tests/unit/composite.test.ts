import { describe, expect, it } from 'vitest'
import { BACKGROUND, compositeOn, compositeRgb } from '../../packages/slidev-addon-under-the-hood/demos/images/composite'

// Two pixels: opaque red, and half-transparent black.
const rgba = () => new Uint8ClampedArray([255, 0, 0, 255, 0, 0, 0, 128])

describe('compositing on the training background', () => {
  it('gives interleaved [0, 1] by default', () => {
    const x = compositeRgb(rgba())
    const g = (BACKGROUND * (1 - 128 / 255)) / 255
    expect(Array.from(x)).toEqual([1, 0, 0, g, g, g].map(v => Math.fround(v)))
  })
  it('gives planar [−1, 1] for the nets, with the same values', () => {
    const inter = compositeRgb(rgba(), { signed: true })
    const planar = compositeRgb(rgba(), { signed: true, planar: true })
    for (let i = 0; i < 2; i++)
      for (let c = 0; c < 3; c++) expect(planar[c * 2 + i]).toBe(inter[i * 3 + c])
    expect(inter[0]).toBe(1)
    expect(inter[1]).toBe(-1)
  })
  it('takes another background, and the byte version agrees with the float one', () => {
    const bytes = compositeOn(rgba(), 0)
    expect(Array.from(bytes)).toEqual([255, 0, 0, 255, 0, 0, 0, 255])
    const white = compositeOn(rgba(), 255)
    const f = compositeRgb(rgba(), { background: 255 })
    for (let i = 0; i < 2; i++)
      for (let c = 0; c < 3; c++) expect(Math.abs(white[i * 4 + c]! - f[i * 3 + c]! * 255)).toBeLessThanOrEqual(0.5)
  })
})
