/**
 * What a clip does, read from its frames alone (no model judges): where the subject is in each frame
 * (the centroid of the pixels that differ from the plain background), how big it is, and how far each
 * frame is turned from the last. The same measure as training/video.py's `motion_of` and `judged`, which
 * the model card's figures come from.
 */

/** The plain background every training picture is composited on (training/data.py BACKGROUND). */
export const BACKGROUND = 230
const THRESH = 0.12

export interface Motion {
  /** Centroid travel over the clip, in frame widths (right and down are positive). */
  dx: number
  dy: number
  /** Change of the subject's area over the clip, relative to its mean area. */
  darea: number
  /** Mean turn from one frame to the next, in radians, clockwise on screen positive. */
  turn: number
}

/** Per pixel: how far it is from the background beyond the threshold (0 = background). */
function weights(rgba: ArrayLike<number>, size: number): Float32Array {
  const w = new Float32Array(size * size)
  for (let i = 0; i < size * size; i++) {
    let d = 0
    for (let c = 0; c < 3; c++) d = Math.max(d, Math.abs(rgba[i * 4 + c]! - BACKGROUND) / 255)
    w[i] = Math.max(0, d - THRESH)
  }
  return w
}

/** Least-squares slope of v over 0…n−1, times n − 1: the change from first to last frame along the fit. */
function travel(v: number[]): number {
  const n = v.length
  const mu = (n - 1) / 2
  const mv = v.reduce((a, b) => a + b, 0) / n
  let num = 0
  let den = 0
  v.forEach((x, i) => { num += (i - mu) * (x - mv); den += (i - mu) ** 2 })
  return den ? (num / den) * (n - 1) : 0
}

/** One RGB channel plane in [−1, 1] per frame, for the rotation search. */
function planes(rgba: ArrayLike<number>, size: number): Float32Array[] {
  return [0, 1, 2].map((c) => {
    const p = new Float32Array(size * size)
    for (let i = 0; i < size * size; i++) p[i] = rgba[i * 4 + c]! / 127.5 - 1
    return p
  })
}

/** Frame `a` turned by `angle` about its centre (bilinear, edges repeated), as torch's affine_grid + grid_sample do it. */
function rotate(a: Float32Array[], size: number, angle: number): Float32Array[] {
  const cos = Math.cos(angle)
  const sin = Math.sin(angle)
  return a.map((plane) => {
    const out = new Float32Array(size * size)
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const nx = (2 * x + 1) / size - 1
        const ny = (2 * y + 1) / size - 1
        const ix = Math.min(size - 1, Math.max(0, ((cos * nx - sin * ny + 1) * size - 1) / 2))
        const iy = Math.min(size - 1, Math.max(0, ((sin * nx + cos * ny + 1) * size - 1) / 2))
        const x0 = Math.floor(ix)
        const y0 = Math.floor(iy)
        const x1 = Math.min(size - 1, x0 + 1)
        const y1 = Math.min(size - 1, y0 + 1)
        const fx = ix - x0
        const fy = iy - y0
        out[y * size + x] = (plane[y0 * size + x0]! * (1 - fx) + plane[y0 * size + x1]! * fx) * (1 - fy)
          + (plane[y1 * size + x0]! * (1 - fx) + plane[y1 * size + x1]! * fx) * fy
      }
    }
    return out
  })
}

/**
 * The turn (radians, of 25 between −90° and 90°, clockwise on screen positive) that best maps each frame
 * onto the next, averaged. (`rotate` by a positive angle turns the picture counter-clockwise, hence the minus.)
 */
export function meanTurn(frames: readonly ArrayLike<number>[], size: number): number {
  const angles = Array.from({ length: 25 }, (_, i) => -Math.PI / 2 + (i * Math.PI) / 24)
  const best: number[] = []
  for (let k = 0; k + 1 < frames.length; k++) {
    const a = planes(frames[k]!, size)
    const b = planes(frames[k + 1]!, size)
    let err = Number.POSITIVE_INFINITY
    let arg = 0
    for (const t of angles) {
      const r = rotate(a, size, t)
      let e = 0
      for (let c = 0; c < 3; c++) for (let i = 0; i < size * size; i++) e += (r[c]![i]! - b[c]![i]!) ** 2
      if (e < err - 1e-9) { err = e; arg = t }
    }
    best.push(-arg)
  }
  return best.length ? best.reduce((x, y) => x + y, 0) / best.length : 0
}

/** The motion of a clip of RGBA frames (size × size each). */
export function motionOf(frames: readonly ArrayLike<number>[], size: number): Motion {
  const cx: number[] = []
  const cy: number[] = []
  const area: number[] = []
  for (const f of frames) {
    const w = weights(f, size)
    let tot = 0
    let sx = 0
    let sy = 0
    let on = 0
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const v = w[y * size + x]!
        tot += v
        sx += v * x
        sy += v * y
        if (v > 0) on++
      }
    }
    tot = Math.max(tot, 1e-6)
    cx.push(sx / tot / size)
    cy.push(sy / tot / size)
    area.push(on / (size * size))
  }
  const meanArea = area.reduce((a, b) => a + b, 0) / Math.max(1, area.length)
  return { dx: travel(cx), dy: travel(cy), darea: travel(area) / Math.max(1e-6, meanArea), turn: meanTurn(frames, size) }
}

/** Does a clip's motion match the named one (index into the model's motions, "still" first)? */
export function judged(motionName: string, m: Motion): boolean {
  const { dx, dy, darea, turn } = m
  switch (motionName) {
    case 'moving left': return -dx > 0.1 && -dx > 1.5 * Math.abs(dy)
    case 'moving right': return dx > 0.1 && dx > 1.5 * Math.abs(dy)
    case 'moving up': return -dy > 0.1 && -dy > 1.5 * Math.abs(dx)
    case 'moving down': return dy > 0.1 && dy > 1.5 * Math.abs(dx)
    case 'zooming in': return darea > 0.3
    case 'zooming out': return -darea > 0.3
    case 'spinning': return turn > 0.2
    default: return Math.max(Math.abs(dx), Math.abs(dy)) < 0.1 && Math.abs(darea) < 0.3
  }
}

/** A short description of a measured motion, for the slide: "moves right 0.42 frame widths". */
export function describeMotion(m: Motion): string {
  const parts: string[] = []
  const mv = (v: number, pos: string, neg: string) => `${v >= 0 ? pos : neg} ${Math.abs(v).toFixed(2)}`
  parts.push(`${mv(m.dx, 'right', 'left')} · ${mv(m.dy, 'down', 'up')} (frame widths)`)
  parts.push(`size ${m.darea >= 0 ? '+' : '−'}${Math.abs(m.darea * 100).toFixed(0)} %`)
  parts.push(`turn ${(m.turn * 180 / Math.PI).toFixed(0)}° a frame`)
  return parts.join(' · ')
}
