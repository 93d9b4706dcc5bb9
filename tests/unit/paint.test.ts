/**
 * Draw and hear: painted strokes become a spectrogram, and Griffin–Lim's sound has its energy where the
 * strokes are (measured here with our own STFT), rises where a stroke rises, and never clips.
 */
import { describe, expect, it } from 'vitest'
import { peakHz, stft } from '../../packages/slidev-addon-under-the-hood/demos/spectrogram/engine'
import { CANVAS, cleanStrokes, hannLobe, hearStrokes, paintSpectrogram, PRESETS } from '../../packages/slidev-addon-under-the-hood/demos/vocoder/paint'

const peaks = (sound: Float32Array) => {
  const s = stft(sound, CANVAS.sampleRate, CANVAS.size, CANVAS.hop)
  return { hz: s.frames.map(f => peakHz(f, s.binHz)), binHz: s.binHz, loud: s.frames.map(f => Math.max(...f)) }
}

describe('draw and hear', () => {
  it('a straight stroke is heard at its frequency, only while it is drawn', () => {
    const { sound, distance } = hearStrokes([[[0.25, 1000], [0.75, 1000]]])
    expect(distance).toBeLessThan(0.3)
    const p = peaks(sound)
    const n = p.hz.length
    const middle = p.hz.slice(Math.round(n * 0.35), Math.round(n * 0.65))
    for (const hz of middle) expect(Math.abs(hz - 1000)).toBeLessThanOrEqual(p.binHz)
    // before the stroke starts, there is (almost) nothing
    expect(Math.max(...p.loud.slice(0, Math.round(n * 0.15)))).toBeLessThan(Math.max(...p.loud) - 30)
  })

  it('a rising stroke rises', () => {
    const p = peaks(hearStrokes(PRESETS.rising!.strokes).sound)
    const n = p.hz.length
    expect(p.hz[Math.round(n * 0.3)]!).toBeLessThan(p.hz[Math.round(n * 0.5)]!)
    expect(p.hz[Math.round(n * 0.5)]!).toBeLessThan(p.hz[Math.round(n * 0.7)]!)
  })

  it('never clips, and an empty picture is silence', () => {
    const loud = hearStrokes(PRESETS.chord!.strokes, 8, CANVAS, 0.9).sound
    expect(Math.max(...loud.map(Math.abs))).toBeLessThanOrEqual(0.9 + 1e-6)
    const quiet = hearStrokes([]).sound
    expect(Math.max(...quiet.map(Math.abs))).toBe(0)
  })

  it('paints the lobe a pure tone has under a Hann window, and drops malformed points', () => {
    expect(hannLobe(0)).toBe(1)
    expect(hannLobe(1)).toBe(0.5)
    expect(hannLobe(2.5)).toBe(0)
    const pic = paintSpectrogram([[[0.5, 1000]]])
    const lit = pic.frames.filter(f => Math.max(...f) > CANVAS.floorDb)
    expect(lit).toHaveLength(1)
    expect(cleanStrokes([[[0.5, 440], [2, 440], ['x', 1], [0.2, -5]], 'junk', []])).toEqual([[[0.5, 440]]])
  })
})
