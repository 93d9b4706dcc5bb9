/**
 * Hearing a picture: Griffin–Lim phase reconstruction (Griffin & Lim, 1984). A spectrogram keeps how
 * loud each frequency is in each window, and throws away the phase (where each wave is in its cycle).
 * Griffin–Lim guesses the phase: start from random phases, turn the picture back into sound (inverse
 * STFT, overlap-add), measure that sound's spectrogram, keep its phases but put back the magnitudes of
 * the picture, and repeat. Each iteration can only bring the sound's spectrogram closer to the picture
 * (the spectral convergence never rises). With `momentum` > 0 it is the "fast Griffin–Lim" of Perraudin,
 * Balazs & Søndergaard (2013). Pure functions on Float32Array; FFT by fft.js. Runs in Node and browsers.
 */
import FFT from 'fft.js'
import { seededRandom } from '../shared/random'
import type { Spectrogram } from '../spectrogram/engine'

/** Complex STFT frames: interleaved re, im for bins 0 … size/2. */
export type ComplexFrames = Float64Array[]

const ffts = new Map<number, FFT>()
function fftOf(size: number): FFT {
  let f = ffts.get(size)
  if (!f) ffts.set(size, f = new FFT(size))
  return f
}

export function hannWindow(size: number): Float64Array {
  return Float64Array.from({ length: size }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / size))
}

/** Windows (Hann) that cover `length` samples with this hop: the same framing as the spectrogram's STFT. */
export function frameCount(length: number, size: number, hop: number): number {
  return Math.floor((Math.max(size, length) - size) / hop) + 1
}

/** Complex STFT of a signal: `frames` windows of `size` samples, `hop` apart. */
export function stftComplex(signal: ArrayLike<number>, size: number, hop: number, frames = frameCount(signal.length, size, hop)): ComplexFrames {
  const f = fftOf(size)
  const w = hannWindow(size)
  const buf = new Float64Array(size)
  const out: ComplexFrames = []
  for (let t = 0; t < frames; t++) {
    for (let i = 0; i < size; i++) buf[i] = (signal[t * hop + i] ?? 0) * w[i]!
    const spec = new Float64Array(size * 2)
    f.realTransform(spec, buf)
    out.push(spec.slice(0, size + 2))
  }
  return out
}

/**
 * Inverse STFT by weighted overlap-add: each frame's inverse FFT, windowed again, summed, and divided by
 * the summed squared window (so istft(stft(x)) = x wherever the windows overlap fully).
 */
export function istft(frames: ComplexFrames, size: number, hop: number, length = (frames.length - 1) * hop + size): Float32Array {
  const f = fftOf(size)
  const w = hannWindow(size)
  const sum = new Float64Array(length)
  const norm = new Float64Array(length)
  const full = new Float64Array(size * 2)
  const time = new Float64Array(size * 2)
  frames.forEach((frame, t) => {
    full.set(frame)
    // the other half of the spectrum of a real signal: complex conjugates, mirrored
    for (let k = size / 2 + 1; k < size; k++) {
      full[2 * k] = frame[2 * (size - k)]!
      full[2 * k + 1] = -frame[2 * (size - k) + 1]!
    }
    f.inverseTransform(time, full)
    for (let i = 0; i < size; i++) {
      const j = t * hop + i
      if (j >= length) break
      sum[j]! += time[2 * i]! * w[i]!
      norm[j]! += w[i]! * w[i]!
    }
  })
  // Where only the thin ends of windows reach (the first and last samples), dividing by their tiny
  // weight would blow up any inconsistency of a guessed phase into a click: cap the gain there.
  let full2 = 0
  for (const v of norm) full2 = Math.max(full2, v)
  const floor = 0.1 * full2
  return Float32Array.from(sum, (v, j) => v / Math.max(norm[j]!, floor))
}

/**
 * Linear magnitudes (bins 0 … size/2) from our spectrogram picture's levels in dB (bins 0 … size/2 − 1;
 * the Nyquist bin is silent). Levels at or below `floorDb` count as silence, as they are drawn.
 */
export function magnitudesFromSpectrogram(s: Spectrogram, floorDb = -80): Float64Array[] {
  const half = s.size / 2
  return s.frames.map((db) => {
    const m = new Float64Array(half + 1)
    for (let k = 0; k < half; k++) m[k] = db[k]! <= floorDb ? 0 : 10 ** (db[k]! / 20) * (s.size / 4)
    return m
  })
}

/** ‖M − |X|‖ / ‖M‖ over all frames and bins: 0 when the sound's spectrogram is exactly the picture. */
export function spectralConvergence(target: readonly Float64Array[], got: ComplexFrames): number {
  let num = 0
  let den = 0
  target.forEach((m, t) => {
    const x = got[t]!
    for (let k = 0; k < m.length; k++) {
      const d = m[k]! - Math.hypot(x[2 * k]!, x[2 * k + 1]!)
      num += d * d
      den += m[k]! * m[k]!
    }
  })
  return den > 0 ? Math.sqrt(num / den) : 0
}

export class GriffinLim {
  /** Spectral convergence after each iteration. */
  readonly history: number[] = []
  private phase: ComplexFrames
  private previous: ComplexFrames | null = null
  private signal: Float32Array
  readonly length: number

  constructor(readonly magnitudes: readonly Float64Array[], readonly size: number, readonly hop: number,
    { seed = 1, momentum = 0 }: { seed?: number, momentum?: number } = {}) {
    if (!magnitudes.length)
      throw new RangeError('an empty spectrogram has no sound to rebuild')
    this.momentum = momentum
    this.length = (magnitudes.length - 1) * hop + size
    // random phases, seeded: the same picture and seed give the same sound
    const rnd = seededRandom(seed)
    this.phase = magnitudes.map((m) => {
      const c = new Float64Array(m.length * 2)
      for (let k = 0; k < m.length; k++) {
        const a = 2 * Math.PI * rnd()
        c[2 * k] = Math.cos(a)
        c[2 * k + 1] = Math.sin(a)
      }
      return c
    })
    this.signal = istft(this.withMagnitudes(this.phase), size, hop, this.length)
  }

  private readonly momentum: number

  get iterations(): number {
    return this.history.length
  }

  /** The picture's magnitudes with the given frames' phases. */
  private withMagnitudes(frames: ComplexFrames): ComplexFrames {
    return frames.map((c, t) => {
      const m = this.magnitudes[t]!
      const out = new Float64Array(c.length)
      for (let k = 0; k < m.length; k++) {
        const r = Math.hypot(c[2 * k]!, c[2 * k + 1]!)
        out[2 * k] = r > 1e-12 ? (m[k]! * c[2 * k]!) / r : m[k]!
        out[2 * k + 1] = r > 1e-12 ? (m[k]! * c[2 * k + 1]!) / r : 0
      }
      return out
    })
  }

  /** `n` more iterations; returns the spectral convergence after the last one. */
  iterate(n = 1): number {
    for (let i = 0; i < n; i++) {
      const measured = stftComplex(this.signal, this.size, this.hop, this.magnitudes.length)
      this.history.push(spectralConvergence(this.magnitudes, measured))
      let next = measured
      if (this.momentum > 0 && this.previous) {
        const prev = this.previous
        next = measured.map((c, t) => c.map((v, j) => v + this.momentum * (v - prev[t]![j]!)))
      }
      this.previous = measured
      this.phase = next
      this.signal = istft(this.withMagnitudes(this.phase), this.size, this.hop, this.length)
    }
    return this.history[this.history.length - 1]!
  }

  /** The sound as it stands, scaled so its loudest sample is at most `peak`. */
  sound(peak = 0.9): Float32Array {
    let max = 0
    for (const v of this.signal) max = Math.max(max, Math.abs(v))
    const g = max > peak ? peak / max : 1
    return this.signal.map(v => v * g)
  }
}
