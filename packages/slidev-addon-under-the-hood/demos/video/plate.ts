/**
 * A chronophotographic plate cut into its frames: Muybridge's *Animal Locomotion* plates are grids of
 * photographs on a dark mount. The mount's dark bands (rows or columns much darker than the pictures)
 * separate the cells; where the pictures touch, the span is divided evenly. Frames are read row by row,
 * as the plate numbers them.
 */

export interface Rect { x: number, y: number, w: number, h: number }

/** Mean brightness (0–255) of each pixel of RGBA bytes. */
export function luma(rgba: ArrayLike<number>, width: number, height: number): Float32Array {
  const out = new Float32Array(width * height)
  for (let i = 0; i < width * height; i++) out[i] = 0.299 * rgba[i * 4]! + 0.587 * rgba[i * 4 + 1]! + 0.114 * rgba[i * 4 + 2]!
  return out
}

/** The bright runs of a profile: [start, end) of each stretch at or above `dark`, longer than `min`. */
function brightRuns(profile: Float32Array, dark: number, min: number): [number, number][] {
  const runs: [number, number][] = []
  let start = -1
  for (let i = 0; i <= profile.length; i++) {
    const bright = i < profile.length && profile[i]! >= dark
    if (bright && start < 0) start = i
    if (!bright && start >= 0) {
      if (i - start >= min) runs.push([start, i])
      start = -1
    }
  }
  return runs
}

/** `count` spans along one axis: the bright runs if there are exactly that many, else the bright extent split evenly. */
function spans(profile: Float32Array, count: number, dark: number): [number, number][] {
  const runs = brightRuns(profile, dark, Math.max(2, Math.floor(profile.length / count / 4)))
  if (runs.length === count) return runs
  if (!runs.length) throw new Error('the plate has no bright area: is this a photograph?')
  const a = runs[0]![0]
  const b = runs.at(-1)![1]
  return Array.from({ length: count }, (_, i) => [a + Math.round((i * (b - a)) / count), a + Math.round(((i + 1) * (b - a)) / count)])
}

/**
 * The cells of a `cols` × `rows` plate, row by row, each inset by `inset` of its size (to leave the
 * thin lines between touching pictures out).
 */
export function plateCells(gray: Float32Array, width: number, height: number, cols: number, rows: number, { dark = 90, inset = 0.02 } = {}): Rect[] {
  const colMean = new Float32Array(width)
  const rowMean = new Float32Array(height)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = gray[y * width + x]!
      colMean[x]! += v / height
      rowMean[y]! += v / width
    }
  }
  const xs = spans(colMean, cols, dark)
  const ys = spans(rowMean, rows, dark)
  const cells: Rect[] = []
  for (const [y0, y1] of ys) {
    for (const [x0, x1] of xs) {
      const dx = Math.round((x1 - x0) * inset)
      const dy = Math.round((y1 - y0) * inset)
      cells.push({ x: x0 + dx, y: y0 + dy, w: x1 - x0 - 2 * dx, h: y1 - y0 - 2 * dy })
    }
  }
  return cells
}
