import { describe, expect, it } from 'vitest'
import { AudioInputError, colour, peakHz, stft, synth, toImage, toMono } from '../../packages/slidev-addon-under-the-hood/demos/spectrogram/engine'

const SR = 16000
const sine = (hz: number, seconds = 0.5, amp = 1) => Float32Array.from({ length: SR * seconds }, (_, i) => amp * Math.sin(2 * Math.PI * hz * i / SR))
const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length

describe('spectrogram (STFT with fft.js)', () => {
  it('puts a pure tone in its own bin, at 0 dB for full scale and −20 dB for a tenth', () => {
    const s = stft(sine(1000), SR, 1024)
    expect(s.binHz).toBe(15.625)
    const mid = s.frames[Math.floor(s.frames.length / 2)]!
    expect(peakHz(mid, s.binHz)).toBe(1000)
    expect(mid[64]).toBeCloseTo(0, 1)
    expect(stft(sine(1000, 0.5, 0.1), SR, 1024).frames[5]![64]).toBeCloseTo(-20, 1)
    // far from the tone: almost nothing
    expect(mid[300]!).toBeLessThan(-80)
  })

  it('hears hiss as energy everywhere, a whistle as one line, and a voice as evenly spaced harmonics', () => {
    const hiss = stft(synth('hiss', SR), SR).frames[10]!
    const whistle = stft(synth('whistle', SR), SR).frames[10]!
    // spread across the spectrum: how many bins are within 20 dB of the loudest
    const loudBins = (f: Float32Array) => f.filter(v => v > Math.max(...f) - 20).length
    expect(loudBins(hiss)).toBeGreaterThan(300)
    expect(loudBins(whistle)).toBeLessThan(12)
    const w = stft(synth('whistle', SR), SR)
    const peaks = w.frames.map(f => peakHz(f, w.binHz))
    expect(Math.min(...peaks)).toBeGreaterThan(1100)
    expect(Math.max(...peaks)).toBeLessThan(2500)
    // the vowel "a": harmonics of 140 Hz stand out against the bins between them
    const v = stft(synth('vowels', SR), SR, 2048)
    const a = v.frames[Math.floor(v.frames.length / 6)]!
    const at = (hz: number) => a[Math.round(hz / v.binHz)]!
    const harmonics = [1, 2, 3, 4, 5, 6].map(h => at(140 * h))
    const between = [1, 2, 3, 4, 5, 6].map(h => at(140 * h + 70))
    expect(mean(harmonics) - mean(between)).toBeGreaterThan(15)
    // its strongest harmonic is near the first formant of "a" (730 Hz), for "i" near 270 Hz
    expect(Math.abs(peakHz(a, v.binHz) - 730)).toBeLessThan(150)
    const i = v.frames[Math.floor(v.frames.length / 2)]!
    expect(Math.abs(peakHz(i, v.binHz) - 270)).toBeLessThan(150)
  })

  it('draws time left to right and pitch bottom to top', () => {
    const s = stft(sine(2000, 1), SR)
    const img = toImage(s, 20, 80, 8000)
    const brightness = (y: number) => img[(y * 20 + 10) * 4]! + img[(y * 20 + 10) * 4 + 1]!
    // 2000 Hz of 8000 is a quarter of the way up: row 60 of 80
    const rows = Array.from({ length: 80 }, (_, y) => brightness(y))
    expect(rows.indexOf(Math.max(...rows))).toBeGreaterThanOrEqual(58)
    expect(rows.indexOf(Math.max(...rows))).toBeLessThanOrEqual(61)
    expect(colour(0)).toEqual([0, 0, 4])
    expect(colour(1)).toEqual([252, 255, 164])
  })

  it('refuses empty sound, keeps 30 s of a long one, mixes stereo', () => {
    expect(() => stft(new Float32Array(0), SR)).toThrow(AudioInputError)
    expect(() => toMono([], SR)).toThrow(/empty/)
    const long = toMono([new Float32Array(SR * 40).fill(0.5), new Float32Array(SR * 40)], SR)
    expect(long.samples.length).toBe(SR * 30)
    expect(long.samples[0]).toBeCloseTo(0.25, 6)
    expect(long.note).toMatch(/first 30 s/)
    // a sound shorter than one window still gives one column
    expect(stft(sine(440, 0.01), SR).frames).toHaveLength(1)
  })
})
