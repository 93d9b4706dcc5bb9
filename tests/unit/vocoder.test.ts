/**
 * Griffin–Lim, the vocoder that lets the room hear a spectrogram: the STFT pair it is built on is exact,
 * each iteration brings the sound's spectrogram closer to the picture, the rebuilt whistle keeps its
 * pitch, and a seed gives the same sound.
 */
import { describe, expect, it } from 'vitest'
import { peakHz, stft, synth } from '../../packages/slidev-addon-under-the-hood/demos/spectrogram/engine'
import { GriffinLim, istft, magnitudesFromSpectrogram, stftComplex } from '../../packages/slidev-addon-under-the-hood/demos/vocoder/griffinlim'

const SR = 16000

describe('Griffin–Lim vocoder', () => {
  it('inverts its STFT exactly when the phase is known', () => {
    const x = Float32Array.from({ length: 4096 }, (_, i) => Math.sin(i * 0.05) + 0.3 * Math.sin(i * 0.31 + 1))
    const back = istft(stftComplex(x, 512, 128), 512, 128, x.length)
    let err = 0
    // everywhere the windows overlap fully (not the first and last half-window)
    for (let i = 256; i < x.length - 256; i++) err = Math.max(err, Math.abs(back[i]! - x[i]!))
    expect(err).toBeLessThan(1e-5)
  })

  it('never moves away from the picture, and gets close to it', () => {
    const s = stft(synth('vowels', SR), SR, 1024)
    const gl = new GriffinLim(magnitudesFromSpectrogram(s), s.size, s.hop, { seed: 3 })
    gl.iterate(40)
    const h = gl.history
    for (let i = 1; i < h.length; i++) expect(h[i]!).toBeLessThanOrEqual(h[i - 1]! + 1e-9)
    expect(h[0]!).toBeGreaterThan(0.5) // random phases: far from the picture
    expect(h[h.length - 1]!).toBeLessThan(h[0]! / 3)
  })

  it('keeps the whistle\'s pitch, and repeats exactly for a seed', () => {
    const s = stft(synth('whistle', SR), SR, 1024)
    const gl = new GriffinLim(magnitudesFromSpectrogram(s), s.size, s.hop, { seed: 1 })
    gl.iterate(20)
    const heard = stft(gl.sound(), SR, 1024)
    const mid = Math.floor(s.frames.length / 2)
    expect(Math.abs(peakHz(heard.frames[mid]!, heard.binHz) - peakHz(s.frames[mid]!, s.binHz))).toBeLessThanOrEqual(s.binHz)
    const again = new GriffinLim(magnitudesFromSpectrogram(s), s.size, s.hop, { seed: 1 })
    again.iterate(20)
    expect(Array.from(again.sound().slice(0, 500))).toEqual(Array.from(gl.sound().slice(0, 500)))
  })

  it('the fast variant (momentum) gets closer in the same number of iterations', () => {
    for (const kind of ['vowels', 'whistle'] as const) {
      const s = stft(synth(kind, SR), SR, 1024)
      const [plain, fast] = [0, 0.99].map((momentum) => {
        const gl = new GriffinLim(magnitudesFromSpectrogram(s), s.size, s.hop, { seed: 1, momentum })
        return gl.iterate(32)
      })
      expect(fast!).toBeLessThan(plain!)
    }
  })

  it('refuses an empty picture', () => {
    expect(() => new GriffinLim([], 1024, 256)).toThrow(/empty/)
  })
})
