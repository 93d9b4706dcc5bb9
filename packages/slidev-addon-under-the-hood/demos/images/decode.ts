/**
 * Turning whatever a person drops on a demo into the small square RGB image a model takes — in the
 * browser, locally (nothing is uploaded). Clear messages for what cannot be used: not an image, a corrupt
 * file, something huge. Transparent pixels are put on the neutral background the models were trained on.
 */
import { BACKGROUND, compositeOn } from './composite'

export const MAX_FILE_BYTES = 60 * 1024 * 1024
export const MAX_PIXELS = 12_000 * 12_000

export class ImageInputError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ImageInputError'
  }
}

export interface SquareImage {
  /** RGBA bytes, size × size, alpha composited on the background (so alpha = 255). */
  rgba: Uint8ClampedArray<ArrayBuffer>
  size: number
  /** Original width × height, and a note when it was cropped or very large. */
  width: number
  height: number
  note: string
}

/**
 * The image type that a file's first bytes say it is, whatever its name or the server's content type
 * claim (a static server may call a JPEG application/octet-stream); null when they are no image format.
 */
export function sniffImageType(head: Uint8Array): string | null {
  const at = (offset: number, text: string) => [...text].every((ch, i) => head[offset + i] === ch.charCodeAt(0))
  if (head[0] === 0x89 && at(1, 'PNG')) return 'image/png'
  if (head[0] === 0xFF && head[1] === 0xD8 && head[2] === 0xFF) return 'image/jpeg'
  if (at(0, 'GIF8')) return 'image/gif'
  if (at(0, 'RIFF') && at(8, 'WEBP')) return 'image/webp'
  if (at(0, 'BM')) return 'image/bmp'
  if (at(4, 'ftypavif') || at(4, 'ftypavis')) return 'image/avif'
  if (head[0] === 0 && head[1] === 0 && head[2] === 1 && head[3] === 0) return 'image/x-icon'
  const text = new TextDecoder().decode(head).trimStart().toLowerCase()
  if (text.startsWith('<svg') || (text.startsWith('<?xml') && text.includes('<svg'))) return 'image/svg+xml'
  return null
}

/** Says why a file cannot be used as an image (by its size), or null when it may be one. */
export function checkImageFile(file: { name: string, size: number }): string | null {
  if (file.size === 0)
    return `"${file.name}" is empty.`
  if (file.size > MAX_FILE_BYTES)
    return `"${file.name}" is ${(file.size / 1024 / 1024).toFixed(0)} MB; images up to ${MAX_FILE_BYTES / 1024 / 1024} MB can be used.`
  return null
}

/** A square region of the source image, in its pixels: left, top, side. */
export type Crop = [number, number, number]

/**
 * Crops a Blob to a square (the centre, or `crop`) and resizes it to size × size, composited on the
 * background.
 */
export async function blobToSquare(blob: Blob, size: number, name = 'image', background = BACKGROUND, crop?: Crop): Promise<SquareImage> {
  const problem = checkImageFile({ name, size: blob.size })
  if (problem) throw new ImageInputError(problem)
  const type = sniffImageType(new Uint8Array(await blob.slice(0, 512).arrayBuffer()))
  if (!type) {
    throw new ImageInputError(blob.type.startsWith('image/')
      ? `"${name}" could not be decoded: the file is damaged or not an image.`
      : `"${name}" is not an image${blob.type ? ` (${blob.type})` : ''}. Drop a PNG, JPEG, GIF or WebP file.`)
  }
  let full: ImageBitmap
  try {
    full = await createImageBitmap(blob.type === type ? blob : new Blob([blob], { type }))
  }
  catch {
    throw new ImageInputError(`"${name}" could not be decoded: the file is damaged or not an image.`)
  }
  const { width, height } = full
  if (width * height > MAX_PIXELS) {
    full.close()
    throw new ImageInputError(`"${name}" is ${width}×${height} pixels; images up to about 12,000×12,000 can be used.`)
  }
  const s = crop ? Math.min(crop[2], width, height) : Math.min(width, height)
  const [sx, sy] = crop ? [Math.max(0, Math.min(width - s, crop[0])), Math.max(0, Math.min(height - s, crop[1]))] : [Math.floor((width - s) / 2), Math.floor((height - s) / 2)]
  const small = await createImageBitmap(full, sx, sy, s, s, { resizeWidth: size, resizeHeight: size, resizeQuality: 'high' })
  full.close()
  const canvas = new OffscreenCanvas(size, size)
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!
  ctx.drawImage(small, 0, 0)
  small.close()
  const rgba = compositeOn(ctx.getImageData(0, 0, size, size).data, background) as Uint8ClampedArray<ArrayBuffer>
  const notes: string[] = []
  if (crop) notes.push(`a ${s}×${s} square of ${width}×${height}`)
  else if (width !== height) notes.push(`centre square of ${width}×${height}`)
  else if (width !== size) notes.push(`${width}×${height}, shrunk to ${size}×${size}`)
  return { rgba, size, width, height, note: notes.join('; ') }
}

/** Loads an image shipped with the deck (e.g. /images/emoji/1f34e.png). */
export async function urlToSquare(url: string, size: number, background = BACKGROUND, crop?: Crop): Promise<SquareImage> {
  const res = await fetch(url)
  if (!res.ok) throw new ImageInputError(`Image not found: ${url}`)
  return blobToSquare(await res.blob(), size, url.split('/').pop() ?? url, background, crop)
}
