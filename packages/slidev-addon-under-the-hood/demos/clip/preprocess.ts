/**
 * Image preprocessing for micro-CLIP, identical to training (training/train_clip.py `to_pixels`):
 * composite RGBA on the neutral background, area-downsample by an integer factor, scale to [-1, 1],
 * NCHW float32. Pure functions on pixel arrays: they run in Node and in the browser alike.
 */

import { BACKGROUND, compositeRgb } from '../images/composite'

export { BACKGROUND }

export interface Rgba { width: number, height: number, data: Uint8ClampedArray | Uint8Array }

/** Composites transparent pixels onto the background (transformers.js would drop alpha). */
export function composite(img: Rgba, background = BACKGROUND): Float32Array {
  return compositeRgb(img.data, { background })
}

/**
 * RGBA image (width and height a multiple of `size`) → [1, 3, size, size] pixel values in [-1, 1],
 * by averaging each block of pixels (area downsampling, as torch's avg_pool2d).
 */
export function toPixelValues(img: Rgba, size = 32, background = BACKGROUND): Float32Array {
  if (img.width % size || img.height % size || img.width !== img.height)
    throw new Error(`image must be square with a side that is a multiple of ${size} (got ${img.width}×${img.height})`)
  const f = img.width / size
  const rgb = composite(img, background)
  const out = new Float32Array(3 * size * size)
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      for (let c = 0; c < 3; c++) {
        let s = 0
        for (let dy = 0; dy < f; dy++)
          for (let dx = 0; dx < f; dx++) s += rgb[((y * f + dy) * img.width + (x * f + dx)) * 3 + c]!
        out[c * size * size + y * size + x] = (s / (f * f)) * 2 - 1
      }
    }
  }
  return out
}
