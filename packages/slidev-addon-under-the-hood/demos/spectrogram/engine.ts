/**
 * Sound as an image: the short-time Fourier transform (STFT). The signal is cut into overlapping windows
 * (Hann), each window's spectrum is computed with a real FFT (fft.js), and its magnitudes in decibels
 * become one column of the picture: time runs left to right, pitch bottom to top. Also the sounds the
 * slide offers, synthesised here (a whistle, hiss, sung vowels, a chord), and a colour map.
 * Pure functions on Float32Array samples: they run in Node and in the browser alike.
 */
import FFT from 'fft.js'
import { seededRandom } from '../shared/random'

export const MAX_SECONDS = 30

export class AudioInputError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'AudioInputError'
  }
}

export interface Spectrogram {
  /** One Float32Array per time step: level in dB of each frequency bin (0 … size/2 − 1). */
  frames: Float32Array[]
  sampleRate: number
  size: number
  hop: number
  /** Width of one frequency bin in Hz. */
  binHz: number
}

const ffts = new Map<number, FFT>()
const hanns = new Map<number, Float32Array>()
function fftOf(size: number): FFT {
  let f = ffts.get(size)
  if (!f) ffts.set(size, f = new FFT(size))
  return f
}
function hann(size: number): Float32Array {
  let w = hanns.get(size)
  if (!w) hanns.set(size, w = Float32Array.from({ length: size }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / size)))
  return w
}

/** Level in dB (re full scale) of each bin of one window of `size` samples starting at `start`. */
export function spectrum(signal: ArrayLike<number>, start: number, size: number): Float32Array {
  const w = hann(size)
  const buf = new Float64Array(size)
  for (let i = 0; i < size; i++) buf[i] = (signal[start + i] ?? 0) * w[i]!
  const out = new Float64Array(size * 2)
  fftOf(size).realTransform(out, buf)
  const db = new Float32Array(size / 2)
  // a full-scale sine gives magnitude size/4 under a Hann window: that is 0 dB
  for (let k = 0; k < size / 2; k++) db[k] = 20 * Math.log10(Math.hypot(out[2 * k]!, out[2 * k + 1]!) / (size / 4) + 1e-9)
  return db
}

/** STFT of a whole signal. `size` must be a power of two (fft.js); hop defaults to a quarter window. */
export function stft(signal: Float32Array, sampleRate: number, size = 1024, hop = size / 4): Spectrogram {
  if (!signal.length)
    throw new AudioInputError('This sound is empty: nothing to draw.')
  if (!Number.isFinite(sampleRate) || sampleRate <= 0)
    throw new AudioInputError(`Unusable sample rate: ${sampleRate}.`)
  const frames: Float32Array[] = []
  for (let start = 0; start + size <= Math.max(size, signal.length); start += hop) frames.push(spectrum(signal, start, size))
  return { frames, sampleRate, size, hop, binHz: sampleRate / size }
}

/** The frequency (Hz) of the loudest bin of a frame. */
export function peakHz(frame: Float32Array, binHz: number): number {
  let best = 0
  for (let k = 1; k < frame.length; k++) if (frame[k]! > frame[best]!) best = k
  return best * binHz
}

/** Keeps at most MAX_SECONDS; says so. Mixes channels to mono. */
export function toMono(channels: Float32Array[], sampleRate: number): { samples: Float32Array, note: string } {
  if (!channels.length || !channels[0]!.length)
    throw new AudioInputError('This sound is empty: nothing to draw.')
  const n = Math.min(channels[0]!.length, Math.round(MAX_SECONDS * sampleRate))
  const samples = new Float32Array(n)
  for (const ch of channels) for (let i = 0; i < n; i++) samples[i]! += ch[i]! / channels.length
  const note = n < channels[0]!.length ? `Only the first ${MAX_SECONDS} s are shown (the sound is ${(channels[0]!.length / sampleRate).toFixed(0)} s long).` : ''
  return { samples, note }
}

export type SoundKind = 'whistle' | 'hiss' | 'vowels' | 'chord'
export const SOUNDS: readonly { kind: SoundKind, label: string }[] = [
  { kind: 'vowels', label: 'sung vowels a–i–u' },
  { kind: 'whistle', label: 'whistle' },
  { kind: 'hiss', label: 'hiss ("sss")' },
  { kind: 'chord', label: 'piano-like chord' },
]

/** Two-pole resonator (a formant): boosts frequencies near `hz`, bandwidth `bw`. */
function resonate(x: Float32Array, hz: number, bw: number, sr: number): Float32Array {
  const r = Math.exp((-Math.PI * bw) / sr)
  const a1 = 2 * r * Math.cos((2 * Math.PI * hz) / sr)
  const a2 = -r * r
  const y = new Float32Array(x.length)
  for (let i = 0; i < x.length; i++) y[i] = (1 - r) * x[i]! + a1 * (y[i - 1] ?? 0) + a2 * (y[i - 2] ?? 0)
  return y
}

function normalise(x: Float32Array, peak = 0.5): Float32Array {
  let m = 0
  for (const v of x) m = Math.max(m, Math.abs(v))
  return m ? x.map(v => (v / m) * peak) : x
}

/**
 * Synthesised sounds, `seconds` long:
 * - vowels: a voice at 140 Hz (a pulse train: every harmonic) through the formants of "a", "i", "u" in
 *   turn — the stripes are the harmonics, the bright bands the formants that make the vowel;
 * - whistle: one pure tone gliding up and down — a single line;
 * - hiss: white noise — energy at every frequency, a fog;
 * - chord: C–E–G with decaying harmonics, like a struck string.
 */
export function synth(kind: SoundKind, sampleRate = 16000, seconds = 2.4): Float32Array {
  const n = Math.round(sampleRate * seconds)
  const t = (i: number) => i / sampleRate
  if (kind === 'whistle') {
    let phase = 0
    return normalise(Float32Array.from({ length: n }, (_, i) => {
      phase += (2 * Math.PI * (1800 + 600 * Math.sin(2 * Math.PI * 0.6 * t(i)))) / sampleRate
      return Math.sin(phase)
    }))
  }
  if (kind === 'hiss') {
    const rnd = seededRandom(7)
    return normalise(Float32Array.from({ length: n }, () => rnd() * 2 - 1), 0.3)
  }
  if (kind === 'chord') {
    const notes = [261.63, 329.63, 392.0]
    return normalise(Float32Array.from({ length: n }, (_, i) => {
      let s = 0
      for (const f of notes) for (let h = 1; h <= 6; h++) s += Math.sin(2 * Math.PI * f * h * t(i)) * Math.exp(-t(i) * (1 + h)) / h
      return s
    }))
  }
  // vowels: formant frequencies (Hz) of a, i, u for an adult voice (Peterson & Barney 1952, rounded)
  const vowels = [[730, 1090, 2440], [270, 2290, 3010], [300, 870, 2240]]
  const f0 = 140
  const seg = Math.floor(n / vowels.length)
  const out = new Float32Array(n)
  vowels.forEach((formants, v) => {
    const pulses = new Float32Array(seg)
    for (let i = 0; i < seg; i += Math.round(sampleRate / f0)) pulses[i] = 1
    // a real voice's harmonics fade towards high pitches: one gentle low-pass (about −6 dB per octave)
    for (let i = 1; i < seg; i++) pulses[i] = 0.3 * pulses[i]! + 0.7 * pulses[i - 1]!
    let y = new Float32Array(seg)
    for (const [k, f] of formants.entries()) {
      const r = resonate(pulses, f, 80 + 40 * k, sampleRate)
      y = y.map((s, i) => s + r[i]! / (k + 1))
    }
    // fade in and out, with a short gap of silence between vowels
    for (let i = 0; i < seg; i++) out[v * seg + i] = y[i]! * Math.min(1, i / 400, Math.max(0, seg - 1600 - i) / 400)
  })
  return normalise(out)
}

/** Colour map (dark → purple → orange → yellow), like the spectrograms in papers. v in [0, 1]. */
export function colour(v: number): [number, number, number] {
  const stops: [number, number, number][] = [[0, 0, 4], [40, 11, 84], [120, 28, 109], [187, 55, 84], [237, 105, 37], [251, 180, 26], [252, 255, 164]]
  const x = Math.max(0, Math.min(1, v)) * (stops.length - 1)
  const i = Math.min(stops.length - 2, Math.floor(x))
  const f = x - i
  const [a, b] = [stops[i]!, stops[i + 1]!]
  return [0, 1, 2].map(c => Math.round(a[c]! + (b[c]! - a[c]!) * f)) as [number, number, number]
}

/**
 * One frame as a column of `height` RGBA pixels, top = `maxHz`, bottom = 0 Hz, level from `floorDb` (dark)
 * to 0 dB (bright). Each pixel takes the loudest of the bins it covers, so a narrow tone never falls
 * between rows.
 */
export function frameColumn(frame: Float32Array, binHz: number, height: number, maxHz = 8000, floorDb = -80,
  out: Uint8ClampedArray = new Uint8ClampedArray(height * 4)): Uint8ClampedArray {
  for (let y = 0; y < height; y++) {
    const lo = Math.floor(((height - 1 - y) / height) * maxHz / binHz)
    const hi = Math.max(lo + 1, Math.floor(((height - y) / height) * maxHz / binHz))
    let db = -Infinity
    for (let k = lo; k < Math.min(hi, frame.length); k++) db = Math.max(db, frame[k]!)
    const [r, g, b] = colour((db - floorDb) / -floorDb)
    out[y * 4] = r
    out[y * 4 + 1] = g
    out[y * 4 + 2] = b
    out[y * 4 + 3] = 255
  }
  return out
}

/**
 * Spectrogram → RGBA picture `width` × `height`: time on x (frames resampled), frequency on y from 0 Hz
 * (bottom) to `maxHz` (top), level from `floorDb` (dark) to 0 dB (bright).
 */
export function toImage(s: Spectrogram, width: number, height: number, maxHz = 8000, floorDb = -80): Uint8ClampedArray<ArrayBuffer> {
  const img = new Uint8ClampedArray(width * height * 4)
  const top = Math.min(maxHz, s.sampleRate / 2)
  const col = new Uint8ClampedArray(height * 4)
  for (let x = 0; x < width; x++) {
    const frame = s.frames[Math.min(s.frames.length - 1, Math.floor((x / width) * s.frames.length))]!
    frameColumn(frame, s.binHz, height, top, floorDb, col)
    for (let y = 0; y < height; y++) img.set(col.subarray(y * 4, y * 4 + 4), (y * width + x) * 4)
  }
  return img
}
