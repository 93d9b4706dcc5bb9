/**
 * The memorisation probe: how close is a generated picture to the pictures the model was trained on?
 * The training art ships as one atlas (training-images.png, tiles of 32 px, written by the pipeline's judge
 * stage) with its names (training-images.json). Distances are RMS over the RGB values in [0, 1], the same
 * measure as the model card's independent judge (training/judge.py): no learned model is involved.
 * Framework-free: the deck (load.ts) and Node tests feed it decoded pixels.
 */

export interface AtlasMeta {
  tile: number
  columns: number
  styles: Record<string, string>
  images: { name: string, style: string }[]
}

export interface TrainingSet {
  tile: number
  meta: AtlasMeta
  /** count × tile·tile·3 values in [0, 1], row-major RGB per tile */
  pixels: Float32Array
  count: number
}

export interface Neighbour { index: number, name: string, style: string, distance: number }

export class AtlasError extends Error {}

/** Cuts the atlas (RGBA or RGB pixels, `width` wide) into its tiles. */
export function tilesFromAtlas(data: ArrayLike<number>, width: number, height: number, channels: number, meta: AtlasMeta): TrainingSet {
  const t = meta.tile
  const count = meta.images.length
  const rows = Math.ceil(count / meta.columns)
  if (width !== meta.columns * t || height < rows * t || data.length !== width * height * channels)
    throw new AtlasError(`training-images.png is ${width}×${height}; its list needs ${meta.columns * t}×${rows * t} (${count} tiles of ${t} px)`)
  const per = t * t * 3
  const pixels = new Float32Array(count * per)
  for (let k = 0; k < count; k++) {
    const x0 = (k % meta.columns) * t
    const y0 = Math.floor(k / meta.columns) * t
    for (let y = 0; y < t; y++) {
      for (let x = 0; x < t; x++) {
        const src = ((y0 + y) * width + x0 + x) * channels
        const dst = k * per + (y * t + x) * 3
        for (let c = 0; c < 3; c++) pixels[dst + c] = data[src + c]! / 255
      }
    }
  }
  return { tile: t, meta, pixels, count }
}

/** A generated picture (planar CHW in [-1, 1], as the VAE decoder gives it) as row-major RGB in [0, 1]. */
export function fromPlanar(image: ArrayLike<number>, size: number): Float32Array {
  const n = size * size
  const out = new Float32Array(n * 3)
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.min(1, Math.max(0, (image[c * n + i]! + 1) / 2))
  }
  return out
}

function rms(a: ArrayLike<number>, b: Float32Array, offset: number, per: number): number {
  let s = 0
  for (let i = 0; i < per; i++) {
    const d = a[i]! - b[offset + i]!
    s += d * d
  }
  return Math.sqrt(s / per)
}

/** The `k` training pictures nearest to `image` (row-major RGB in [0, 1], the tile's size), nearest first. */
export function nearest(set: TrainingSet, image: ArrayLike<number>, k = 4): Neighbour[] {
  const per = set.tile * set.tile * 3
  if (image.length !== per)
    throw new AtlasError(`the picture has ${image.length} values; the training pictures have ${per} (${set.tile}×${set.tile} RGB)`)
  const all: { index: number, distance: number }[] = []
  for (let i = 0; i < set.count; i++) all.push({ index: i, distance: rms(image, set.pixels, i * per, per) })
  all.sort((a, b) => a.distance - b.distance)
  return all.slice(0, k).map(({ index, distance }) => ({ index, distance, ...set.meta.images[index]! }))
}

/** For scale: the mean distance between pictures of two different emoji, over `pairs` pairs drawn from a fixed seed. */
export function typicalDistance(set: TrainingSet, pairs = 300, seed = 1): number {
  const per = set.tile * set.tile * 3
  let s = seed >>> 0
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
  let sum = 0
  let n = 0
  while (n < pairs) {
    const i = Math.floor(next() * set.count)
    const j = Math.floor(next() * set.count)
    if (set.meta.images[i]!.name === set.meta.images[j]!.name) continue
    sum += rms(set.pixels.subarray(i * per, (i + 1) * per), set.pixels, j * per, per)
    n++
  }
  return sum / n
}

/** One training picture as RGBA bytes, for display. */
export function tileRgba(set: TrainingSet, index: number): Uint8ClampedArray<ArrayBuffer> {
  const n = set.tile * set.tile
  const out = new Uint8ClampedArray(n * 4)
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) out[i * 4 + c] = Math.round(set.pixels[(index * n + i) * 3 + c]! * 255)
    out[i * 4 + 3] = 255
  }
  return out
}

/** How the nearest distance reads, against the distance between two different training emoji. */
export function verdict(distance: number, typical: number): string {
  const r = distance / typical
  if (r < 0.25) return 'nearly a copy of a training picture'
  if (r < 0.5) return 'much closer to one training picture than training pictures are to each other'
  if (r < 0.8) return 'closer to its nearest training picture than most training pictures are to each other'
  return 'no closer to any training picture than training pictures are to each other'
}
