/**
 * The picture of a sound that micro-audio draws: 64 moments (columns, 32 ms apart) × 64 pitches (rows, one
 * per semitone from G2 = 98 Hz at row 0 up to A♯7), each pixel the loudness in dB mapped to −1 … 1.
 * The rows sit on the equal-tempered grid, so a note of the training data lies exactly on one row.
 * training/sounds.py computes the same picture (the parity file checks it); here it is computed for a file
 * or the microphone (continuation), turned back into a spectrogram for Griffin–Lim (hearing), measured
 * (pitch) and drawn. Pure functions: Node and browsers alike.
 */
import FFT from 'fft.js'
import { colour } from '../spectrogram/engine'
import { GriffinLim, stftComplex } from '../vocoder/griffinlim'

/** config.json's `sound`. */
export interface SoundFormat {
  sample_rate: number
  n_fft: number
  hop: number
  frames: number
  rows: number
  row0_hz: number
  row_a4: number
  db_floor: number
  db_per_unit: number
  samples: number
}

/** A picture: `rows` × `frames` values in −1 … 1, row-major, row 0 the lowest pitch. */
export type Picture = Float32Array

const NAMES = ['C', 'C♯', 'D', 'D♯', 'E', 'F', 'F♯', 'G', 'G♯', 'A', 'A♯', 'B']

export function rowHz(f: SoundFormat, row: number): number {
  return f.row0_hz * 2 ** (row / 12)
}

/** Row → note name ("A4"). */
export function rowNote(f: SoundFormat, row: number): string {
  const midi = 69 + row - f.row_a4
  return `${NAMES[((midi % 12) + 12) % 12]}${Math.floor(midi / 12) - 1}`
}

/** The picture's rows: the fractional spectrum bin of each row's centre and the bins within ±½ semitone. */
function rowMap(f: SoundFormat): { centre: number[], lo: number[], hi: number[] } {
  const binHz = f.sample_rate / f.n_fft
  const centre: number[] = []
  const lo: number[] = []
  const hi: number[] = []
  for (let k = 0; k < f.rows; k++) {
    const hz = rowHz(f, k)
    centre.push(hz / binHz)
    lo.push(Math.ceil((hz * 2 ** (-1 / 24)) / binHz))
    hi.push(Math.floor((hz * 2 ** (1 / 24)) / binHz))
  }
  return { centre, lo, hi }
}

/** The sound's picture (its first `samples` samples; shorter sounds are padded with silence). */
export function pictureOf(signal: ArrayLike<number>, f: SoundFormat): Picture {
  const x = new Float32Array(f.samples)
  for (let i = 0; i < Math.min(signal.length, f.samples); i++) x[i] = signal[i]!
  const frames = stftComplex(x, f.n_fft, f.hop, f.frames)
  const { centre, lo, hi } = rowMap(f)
  const out = new Float32Array(f.rows * f.frames)
  const scale = f.n_fft / 4
  frames.forEach((c, t) => {
    const mag = (j: number) => Math.hypot(c[2 * j]!, c[2 * j + 1]!) / scale
    for (let k = 0; k < f.rows; k++) {
      const j = Math.floor(centre[k]!)
      const fr = centre[k]! - j
      let v = mag(j) * (1 - fr) + mag(j + 1) * fr
      for (let b = lo[k]!; b <= hi[k]!; b++) v = Math.max(v, mag(b))
      const db = 20 * Math.log10(Math.max(v, 1e-12))
      out[k * f.frames + t] = Math.min(1, Math.max(-1, db / f.db_per_unit + 1))
    }
  })
  return out
}

/** A picture back to spectrum magnitudes per frame (bins 0 … n_fft/2), the way training/sounds.py does. */
export function magnitudesOf(p: Picture, f: SoundFormat): Float64Array[] {
  const binHz = f.sample_rate / f.n_fft
  const half = f.n_fft / 2
  const amp = Float64Array.from(p, v => v > -1 + 1e-6 ? 10 ** ((Math.min(1, v) - 1) * f.db_per_unit / 20) : 0)
  const out = Array.from({ length: f.frames }, () => new Float64Array(half + 1))
  for (let j = 1; j <= half; j++) {
    let r = 12 * Math.log2((j * binHz) / f.row0_hz)
    if (r < -0.5 || r > f.rows - 0.5) continue
    r = Math.min(Math.max(r, 0), f.rows - 1)
    const a = Math.floor(r)
    const b = Math.min(a + 1, f.rows - 1)
    const fr = r - a
    for (let t = 0; t < f.frames; t++)
      out[t]![j] = (amp[a * f.frames + t]! * (1 - fr) + amp[b * f.frames + t]! * fr) * (f.n_fft / 4)
  }
  return out
}

/** Griffin–Lim for a picture (its iterations can then be run a few at a time). */
export function vocoder(p: Picture, f: SoundFormat, seed = 1): GriffinLim {
  return new GriffinLim(magnitudesOf(p, f), f.n_fft, f.hop, { seed, momentum: 0.99 })
}

/** The picture as sound: `iterations` of Griffin–Lim, never louder than `peak` (below 0 dBFS). */
export function hear(p: Picture, f: SoundFormat, iterations = 32, seed = 1, peak = 0.9): { sound: Float32Array, distance: number | null } {
  const gl = vocoder(p, f, seed)
  const distance = iterations > 0 ? gl.iterate(iterations) : null
  return { sound: gl.sound(peak), distance }
}

const PITCH_N = 65536
let pitchFft: FFT | undefined

/**
 * The sound's pitch in Hz: the loudest peak of its whole spectrum between 90 and 3,000 Hz (Hann window,
 * zero-padded to 65,536 points, parabolic peak), moved down to the lowest of its ½, ⅓, ¼ that is itself
 * at least a fifth as loud (a harmonic sound's fundamental; a whistle's own peak). As sounds.py's pitch_of.
 */
export function pitchOf(signal: ArrayLike<number>, sampleRate: number): number {
  const n = Math.min(signal.length, PITCH_N)
  const buf = new Float64Array(PITCH_N)
  for (let i = 0; i < n; i++) buf[i] = signal[i]! * (0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 1)) / (n + 1)))
  pitchFft ??= new FFT(PITCH_N)
  const c = new Float64Array(PITCH_N * 2)
  pitchFft.realTransform(c, buf)
  const spec = new Float64Array(PITCH_N / 2 + 1)
  for (let k = 0; k < spec.length; k++) spec[k] = Math.hypot(c[2 * k]!, c[2 * k + 1]!)
  const hz = (k: number) => (k * sampleRate) / PITCH_N
  let k = 0
  for (let j = 0; j < spec.length; j++) if (hz(j) >= 90 && hz(j) <= 3000 && spec[j]! > (spec[k] ?? 0)) k = j
  let d = 0
  if (k > 0 && k < spec.length - 1) {
    const [a, b, e] = [spec[k - 1]!, spec[k]!, spec[k + 1]!]
    const den = a - 2 * b + e
    d = den !== 0 ? (0.5 * (a - e)) / den : 0
  }
  const peak = hz(k + d)
  let best = peak
  for (const h of [2, 3, 4]) {
    const f0 = peak / h
    if (f0 < 90) break
    const lo = Math.floor((f0 * 0.985 * PITCH_N) / sampleRate)
    const hi = Math.floor((f0 * 1.015 * PITCH_N) / sampleRate) + 1
    let m = 0
    for (let j = lo; j < hi; j++) m = Math.max(m, spec[j]!)
    if (m >= 0.2 * spec[k]!) best = f0
  }
  return best
}

/** The loudest row of each column's mean (the picture's strongest pitch), or −1 for a silent picture. */
export function loudestRow(p: Picture, f: SoundFormat): number {
  let best = -1
  let bestV = -Infinity
  for (let k = 0; k < f.rows; k++) {
    let s = 0
    for (let t = 0; t < f.frames; t++) s += 10 ** ((p[k * f.frames + t]! - 1) * f.db_per_unit / 20)
    if (s > bestV) [best, bestV] = [k, s]
  }
  return bestV > 0 ? best : -1
}

/**
 * The picture as RGBA pixels, `scale` pixels per cell, high pitches at the top, in the spectrogram
 * demo's colour map (−80 dB dark → 0 dB bright).
 */
export function pictureRgba(p: Picture, f: SoundFormat, scale = 1): Uint8ClampedArray<ArrayBuffer> {
  const w = f.frames * scale
  const h = f.rows * scale
  const out = new Uint8ClampedArray(w * h * 4)
  for (let y = 0; y < h; y++) {
    const row = f.rows - 1 - Math.floor(y / scale)
    for (let x = 0; x < w; x++) {
      const [r, g, b] = colour((p[row * f.frames + Math.floor(x / scale)]! + 1) / 2)
      const i = (y * w + x) * 4
      out[i] = r
      out[i + 1] = g
      out[i + 2] = b
      out[i + 3] = 255
    }
  }
  return out
}

/** Seconds of sound in a picture. */
export function seconds(f: SoundFormat): number {
  return f.samples / f.sample_rate
}

/** A mono 16-bit PCM WAV file of the samples (clipped to ±1). */
export function wavFile(samples: ArrayLike<number>, rate: number): Uint8Array {
  const n = samples.length
  const out = new Uint8Array(44 + n * 2)
  const v = new DataView(out.buffer)
  const text = (at: number, s: string) => [...s].forEach((c, i) => v.setUint8(at + i, c.charCodeAt(0)))
  text(0, 'RIFF')
  v.setUint32(4, 36 + n * 2, true)
  text(8, 'WAVEfmt ')
  v.setUint32(16, 16, true)
  v.setUint16(20, 1, true)
  v.setUint16(22, 1, true)
  v.setUint32(24, rate, true)
  v.setUint32(28, rate * 2, true)
  v.setUint16(32, 2, true)
  v.setUint16(34, 16, true)
  text(36, 'data')
  v.setUint32(40, n * 2, true)
  for (let i = 0; i < n; i++) v.setInt16(44 + i * 2, Math.round(Math.max(-1, Math.min(1, samples[i]!)) * 32767), true)
  return out
}
