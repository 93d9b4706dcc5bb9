/**
 * Transparent pixels composited on the light-grey background every model here was trained with
 * (training/data.py BACKGROUND): one formula, in the layouts the demos need.
 */

export const BACKGROUND = 230

export interface CompositeOptions {
  background?: number
  /** Planar [3, H, W] (channel-first, as the ONNX nets take it) instead of interleaved RGB. */
  planar?: boolean
  /** Values in [−1, 1] (the models' range) instead of [0, 1]. */
  signed?: boolean
}

/** RGBA bytes → RGB floats, each pixel composited on the background by its alpha. */
export function compositeRgb(data: ArrayLike<number>, { background = BACKGROUND, planar = false, signed = false }: CompositeOptions = {}): Float32Array {
  const n = data.length / 4
  const out = new Float32Array(n * 3)
  for (let i = 0; i < n; i++) {
    const a = data[i * 4 + 3]! / 255
    for (let c = 0; c < 3; c++) {
      const v = (data[i * 4 + c]! * a + background * (1 - a)) / 255
      out[planar ? c * n + i : i * 3 + c] = signed ? v * 2 - 1 : v
    }
  }
  return out
}

/** The same composite as bytes, in place (alpha becomes 255): what a canvas or PNG shows. */
export function compositeOn(rgba: Uint8ClampedArray, background = BACKGROUND): Uint8ClampedArray {
  for (let i = 0; i < rgba.length; i += 4) {
    const a = rgba[i + 3]! / 255
    for (let c = 0; c < 3; c++) rgba[i + c] = Math.round(rgba[i + c]! * a + background * (1 - a))
    rgba[i + 3] = 255
  }
  return rgba
}
