/**
 * Draw and hear: strokes painted on an empty spectrogram become the picture's loudness, and Griffin–Lim
 * (./griffinlim.ts) turns the picture into sound. A stroke is a list of points (time from 0 to 1 across
 * the picture, frequency in Hz); each point lights the bins a pure tone at that frequency would light under
 * the analysis window, so a straight stroke is heard as a whistle at that pitch, a rising one rises.
 */
import type { Spectrogram } from '../spectrogram/engine'
import { GriffinLim, magnitudesFromSpectrogram } from './griffinlim'

export type Point = readonly [t: number, hz: number]
export type Stroke = readonly Point[]

export const CANVAS = { sampleRate: 16000, seconds: 2.4, size: 1024, hop: 256, maxHz: 2500, floorDb: -80 } as const
/** Level of a painted tone: −12 dB leaves room for a few strokes at once. */
const STROKE_DB = -12

/** How loud bin offset d (in bins, fractional) of a pure tone is under a Hann window, 1 at d = 0. */
export function hannLobe(d: number): number {
  const a = Math.abs(d)
  if (a >= 2) return 0
  if (a < 1e-9) return 1
  if (Math.abs(a - 1) < 1e-9) return 0.5
  return Math.abs(Math.sin(Math.PI * a) / (Math.PI * a * (1 - a * a)))
}

export function frameCountOf(c = CANVAS): number {
  return Math.floor((c.sampleRate * c.seconds - c.size) / c.hop) + 1
}

/** The picture of the strokes: levels in dB per frame and bin, silence everywhere else. */
export function paintSpectrogram(strokes: readonly Stroke[], c = CANVAS): Spectrogram {
  const n = frameCountOf(c)
  const half = c.size / 2
  const binHz = c.sampleRate / c.size
  const amp = Array.from({ length: n }, () => new Float32Array(half))
  const light = (frame: number, hz: number) => {
    if (frame < 0 || frame >= n || !(hz > 0) || hz >= c.sampleRate / 2) return
    const k = hz / binHz
    for (let b = Math.max(0, Math.floor(k) - 2); b <= Math.min(half - 1, Math.ceil(k) + 2); b++)
      amp[frame]![b] = Math.max(amp[frame]![b]!, hannLobe(b - k))
  }
  for (const s of strokes) {
    if (s.length === 1) light(Math.round(s[0]![0] * (n - 1)), s[0]![1])
    for (let i = 1; i < s.length; i++) {
      const [t0, f0] = s[i - 1]!
      const [t1, f1] = s[i]!
      const a = Math.round(Math.min(t0, t1) * (n - 1))
      const b = Math.round(Math.max(t0, t1) * (n - 1))
      for (let f = a; f <= b; f++) {
        const u = b === a ? 0 : (f - a) / (b - a)
        light(f, t0 <= t1 ? f0 + (f1 - f0) * u : f1 + (f0 - f1) * u)
      }
    }
  }
  const g = 10 ** (STROKE_DB / 20)
  const frames = amp.map(a => a.map(v => v > 0 ? 20 * Math.log10(v * g) : c.floorDb - 20))
  return { frames, sampleRate: c.sampleRate, size: c.size, hop: c.hop, binHz }
}

/** Keeps only well-formed points: time within 0…1, frequency within the picture. */
export function cleanStrokes(raw: unknown, c = CANVAS): Stroke[] {
  if (!Array.isArray(raw)) return []
  return raw.filter(Array.isArray).map(s => (s as unknown[]).filter((p): p is [number, number] =>
    Array.isArray(p) && p.length === 2 && Number.isFinite(p[0]) && Number.isFinite(p[1])
    && (p[0] as number) >= 0 && (p[0] as number) <= 1 && (p[1] as number) > 0 && (p[1] as number) <= c.maxHz)).filter(s => s.length > 0)
}

/**
 * The painted picture as sound: Griffin–Lim (with momentum) from random phases, normalised so that no
 * sample is louder than `peak` (below 0 dBFS). An empty picture is silence.
 */
export function hearStrokes(strokes: readonly Stroke[], iterations = 32, c = CANVAS, peak = 0.9): { sound: Float32Array, distance: number | null, picture: Spectrogram } {
  const picture = paintSpectrogram(strokes, c)
  const gl = new GriffinLim(magnitudesFromSpectrogram(picture, c.floorDb), c.size, c.hop, { seed: 1, momentum: 0.99 })
  const distance = strokes.length && iterations > 0 ? gl.iterate(iterations) : null
  return { sound: gl.sound(peak), distance, picture }
}

/** Strokes for the buttons: a steady whistle, a rising one, and a major chord. */
export const PRESETS: Record<string, { label: string, strokes: Stroke[] }> = {
  whistle: { label: 'whistle at A5 (880 Hz)', strokes: [[[0.1, 880], [0.9, 880]]] },
  rising: { label: 'rising whistle', strokes: [[[0.1, 500], [0.9, 2000]]] },
  chord: { label: 'C major chord', strokes: [[[0.1, 523.25], [0.9, 523.25]], [[0.1, 659.26], [0.9, 659.26]], [[0.1, 783.99], [0.9, 783.99]]] },
}
