/**
 * micro-audio: the exported networks against PyTorch (parity.json, written by `npm run train -- audio`):
 * the prompt's word ids, the text encoder, one denoising step, a short sound and a continuation on the
 * deck's sampler, and the picture of a known signal computed here and by the pipeline. Then what the
 * shipped model does: the pitch of "whistle at A4", measured here on the sound Griffin–Lim makes from
 * its pictures; and the checks of what a person types.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SHIPPED_MODELS } from '../../packages/slidev-addon-under-the-hood/demos/runtime/node'
import { checkAudioParams, describeVocabulary, generateSound, pitchRows, readPrompt, wordsOf } from '../../packages/slidev-addon-under-the-hood/demos/audio/sound'
import { hear, loudestRow, magnitudesOf, pictureOf, pitchOf, rowHz, rowNote, wavFile } from '../../packages/slidev-addon-under-the-hood/demos/audio/picture'
import { loadAudioNode } from '../../packages/slidev-addon-under-the-hood/demos/audio/node'
import type { StepResult } from '../../packages/slidev-addon-under-the-hood/demos/diffusion/sampler'
import { maxDiff } from '../lib/numbers'

const ROOT = join(import.meta.dirname, '..', '..')
const SMOKE = join(ROOT, 'training', 'runs', 'smoke')
async function last(gen: AsyncGenerator<StepResult>): Promise<Float32Array> {
  let x: Float32Array | undefined
  for await (const s of gen) x = s.next
  return x!
}

/** The shipped model, and the smoke run's when `npm test` has just trained one. */
const runs: [string, string][] = [['shipped', join(SHIPPED_MODELS, 'micro-audio')]]
if (existsSync(join(SMOKE, 'micro-audio', 'config.json'))) runs.push(['smoke run', join(SMOKE, 'micro-audio')])

describe.each(runs)('%s micro-audio in ONNX matches PyTorch', (_, dir) => {
  it('word ids, text encoder, one step, a 4-step sound and a continuation on the deck\'s sampler', async () => {
    const parity = JSON.parse(readFileSync(join(dir, 'parity.json'), 'utf8'))
    const a = await loadAudioNode(SHIPPED_MODELS, 'micro-audio', { dir })
    const t = parity.tokens
    for (const [k, p] of (t.prompts as string[]).entries()) {
      const ids = (t.ids[k] as number[]).filter((_, j) => t.mask[k][j] === 1)
      expect(readPrompt(p, a.config).ids).toEqual(ids)
      expect(pitchRows(wordsOf(p), a.config.sound)).toEqual(t.pitch_rows[k])
    }
    const cond = await a.nets.encodeText(t.prompts)
    expect(maxDiff(cond.states, parity.text.last_hidden_state)).toBeLessThan(1e-4)
    expect(maxDiff(cond.pooled, parity.text.text_embeds)).toBeLessThan(1e-4)
    const two = await a.nets.encodeText(t.prompts.slice(0, 2))
    const eps = await a.nets.denoise(Float32Array.from(parity.step.sample), parity.step.timestep, two)
    expect(maxDiff(eps, parity.step.noise_pred)).toBeLessThan(1e-4)
    const s = parity.sound
    const { params } = checkAudioParams({ prompt: s.prompt, seed: 0, steps: s.steps, guidance: s.guidance }, a.config)
    expect(maxDiff(await last(generateSound(a.nets, a.config, params, { start: Float32Array.from(s.noise) })), s.picture)).toBeLessThan(2e-3)
    const c = parity.continuation
    const given = { picture: Float32Array.from(s.picture), columns: c.given_columns }
    const cont = await last(generateSound(a.nets, a.config, params, { start: Float32Array.from(c.noise), given }))
    expect(maxDiff(cont, c.picture)).toBeLessThan(2e-3)
    // the given columns come back exactly; the others are the model's
    const f = a.config.sound
    for (let r = 0; r < f.rows; r++) {
      for (let col = 0; col < c.given_columns; col++) expect(cont[r * f.frames + col]).toBeCloseTo(given.picture[r * f.frames + col]!, 5)
    }
  }, 120_000)

  it('computes the picture of a known signal as the pipeline does', async () => {
    const parity = JSON.parse(readFileSync(join(dir, 'parity.json'), 'utf8'))
    const { config } = await loadAudioNode(SHIPPED_MODELS, 'micro-audio', { dir })
    const f = config.sound
    const x = Float32Array.from({ length: f.samples }, (_, i) => {
      const t = i / f.sample_rate
      return 0.3 * Math.sin(2 * Math.PI * 440 * t) + (t > 1 ? 0.1 * Math.sin(2 * Math.PI * 1234.5 * t) : 0)
    })
    const p = pictureOf(x, f)
    expect(maxDiff(p, parity.analysis.picture)).toBeLessThan(1e-3)
    // A4 is its own row, and the loudest
    expect(rowNote(f, loudestRow(p, f))).toBe('A4')
    expect(rowHz(f, f.row_a4)).toBeCloseTo(440, 6)
  })
})

describe('the picture of a sound, heard', () => {
  it('a picture made from a tone is heard at the tone\'s pitch; silence stays silent', async () => {
    const { config } = await loadAudioNode(SHIPPED_MODELS)
    const f = config.sound
    for (const hz of [220, 523.25, 1760]) {
      const x = Float32Array.from({ length: f.samples }, (_, i) => 0.4 * Math.sin(2 * Math.PI * hz * i / f.sample_rate))
      const { sound, distance } = hear(pictureOf(x, f), f, 32)
      expect(Math.abs(pitchOf(sound, f.sample_rate) / hz - 1)).toBeLessThan(0.02) // a third of a semitone
      expect(distance!).toBeLessThan(0.5)
      let peak = 0
      for (const v of sound) peak = Math.max(peak, Math.abs(v))
      expect(peak).toBeLessThanOrEqual(0.9 + 1e-6)
    }
    const silent = hear(new Float32Array(f.rows * f.frames).fill(-1), f, 4).sound
    expect(silent.every(v => v === 0)).toBe(true)
    expect(magnitudesOf(new Float32Array(f.rows * f.frames).fill(-1), f).every(m => m.every(v => v === 0))).toBe(true)
  })

  it('writes a 16-bit mono WAV', () => {
    const w = wavFile(Float32Array.from([0, 0.5, -2]), 8000)
    const v = new DataView(w.buffer)
    expect(new TextDecoder().decode(w.subarray(0, 4))).toBe('RIFF')
    expect(v.getUint32(24, true)).toBe(8000)
    expect(v.getInt16(46, true)).toBe(16384)
    expect(v.getInt16(48, true)).toBe(-32767) // clipped, never past full scale
  })
})

describe('the shipped model', () => {
  it('whistles the asked note far more often than chance would, and its misses are other notes: the pitch of its sounds, measured here', async () => {
    const a = await loadAudioNode(SHIPPED_MODELS)
    const f = a.config.sound
    const notes: [string, number][] = [['G3', 196], ['C4', 261.63], ['A4', 440], ['E5', 659.26], ['B5', 987.77], ['D6', 1174.66]]
    const heard: string[] = []
    let right = 0
    let silent = 0
    for (const seed of [1, 2, 3, 4]) {
      for (const [note, want] of notes) {
        const { params } = checkAudioParams({ prompt: `whistle at ${note}`, seed }, a.config)
        const picture = await last(generateSound(a.nets, a.config, params))
        if (Math.max(...picture) < 0) { // nothing above −40 dB: it drew silence
          silent++
          heard.push(`${note}: silent`)
          continue
        }
        const hz = pitchOf(hear(picture, f, 32).sound, f.sample_rate)
        heard.push(`${note}: ${hz.toFixed(0)} Hz`)
        if (Math.abs(hz / want - 1) <= 0.03) right++
        // a miss is another note of the scale, not a pitch in between
        const semis = 12 * Math.log2(hz / 440)
        expect(Math.abs(semis - Math.round(semis)), heard.join(', ')).toBeLessThan(0.5)
      }
    }
    const why = heard.join(', ')
    // A note drawn at random from its 48 whistle notes would be right one time in 48. Its card has the rate
    // over all notes on the pipeline's test seeds (about eight in ten); these are other starting noises.
    expect(right, why).toBeGreaterThanOrEqual(15)
    // Now and then a starting noise gives an empty picture (the card's limits say so).
    expect(silent, why).toBeLessThanOrEqual(3)
  }, 240_000)

  it('reads the words it knows, names the ones it does not, and still makes a sound', async () => {
    const { config } = await loadAudioNode(SHIPPED_MODELS)
    const r = checkAudioParams({ prompt: 'Violin at A4, please', seed: 1 }, config)
    expect(r.read.known).toEqual(['at', 'a4'])
    expect(r.read.unknown).toEqual(['violin', 'please'])
    expect(r.notes.join(' ')).toMatch(/"violin", "please".*It knows: .*whistle/)
    expect(describeVocabulary(config)).toMatch(/notes C3 … B6/)
    // the pitches the words name: a note its row (A4 = 440 Hz is its own row), a chord its triad in octave 4
    expect(pitchRows(wordsOf('whistle at A4'), config.sound)).toEqual([config.sound.row_a4])
    expect(pitchRows(wordsOf('organ chord C minor'), config.sound).map(r => rowNote(config.sound, r))).toEqual(['C4', 'D♯4', 'G4'])
    expect(pitchRows(wordsOf('rain'), config.sound)).toEqual([])
    const empty = checkAudioParams({ prompt: '   ' }, config)
    expect(empty.read.ids).toEqual([1])
    expect(empty.notes.join(' ')).toMatch(/Empty prompt/)
    expect(() => checkAudioParams({ prompt: 'rain', steps: 'many' }, config)).toThrow(/Steps must be a number/)
  })
})
