/**
 * Text → sound with micro-audio: the image model's sampler (demos/diffusion/sampler.ts) on pictures of
 * sound instead of latents. The prompt is read word by word against the model's closed vocabulary (the
 * words of its training captions); unknown words are left out and named. Continuation keeps the first
 * columns of a given picture (a generated sound, a file, the microphone) and lets the model draw the rest,
 * the way video extension keeps frames: at every step the given part is put back at that step's noise level.
 */
import type { OrtLike, SessionLike } from '../runtime/ort'
import { ortDenoise, ortEncodeIds } from '../diffusion/nets'
import type { DiffusionConfig, DiffusionNets, GenerateParams, StepResult } from '../diffusion/sampler'
import { checkParams, DiffusionInputError, generate, initialLatent, scheduleOf } from '../diffusion/sampler'
import type { Picture, SoundFormat } from './picture'

/** config.json of micro-audio: the sampler's settings, the vocabulary and the picture format. */
export interface AudioConfig extends DiffusionConfig {
  model_type: string
  /** Whether the UNet takes the pitch hint (pitch_rows: the rows the prompt's notes name). */
  pitch_hint?: boolean
  /** Whether the words that name pitches go to the hint only, not to the text encoder. */
  pitch_words_to_hint_only?: boolean
  vocabulary: string[]
  max_tokens: number
  sound: SoundFormat
  examples: string[]
}

/** The words of a prompt as the model reads them (training/sounds.py `tokens`). */
export function wordsOf(prompt: string): string[] {
  return prompt.toLowerCase().replace(/[:,.;!?"']/g, ' ').split(/\s+/).filter(Boolean)
}

export interface ReadPrompt {
  /** [start] then the known words' ids, at most max_tokens. */
  ids: number[]
  known: string[]
  unknown: string[]
  /** Known words left out because the encoder reads at most max_tokens − 1. */
  dropped: string[]
}

export function readPrompt(prompt: string, cfg: Pick<AudioConfig, 'vocabulary' | 'max_tokens' | 'pitch_words_to_hint_only'>): ReadPrompt {
  const index = new Map(cfg.vocabulary.map((w, i) => [w, i]))
  const words = wordsOf(prompt)
  const known = words.filter(w => index.has(w) && !w.startsWith('['))
  const unknown = [...new Set(words.filter(w => !index.has(w) || w.startsWith('[')))]
  // Pitch words may go to the pitch hint alone (pitchRows); the others to the text encoder, at most max_tokens − 1.
  const text = cfg.pitch_words_to_hint_only ? known.filter(w => !isPitchWord(w)) : known
  const kept = text.slice(0, cfg.max_tokens - 1)
  return { ids: [1, ...kept.map(w => index.get(w)!)], known: known.filter(w => !text.includes(w) || kept.includes(w)), unknown, dropped: text.slice(cfg.max_tokens - 1) }
}

/** A note ("a4") or a chord root ("c"). */
export function isPitchWord(w: string): boolean {
  return NOTE.test(w) || PITCH_CLASS.test(w)
}

const PITCH_CLASSES = ['c', 'c#', 'd', 'd#', 'e', 'f', 'f#', 'g', 'g#', 'a', 'a#', 'b']

/**
 * The picture rows a prompt's words name as pitches (training/sounds.py `pitch_rows`, the same rule): a note
 * ("a4") its row; a chord or arpeggio root ("c", meant in octave 4) its triad, major unless "minor" is said,
 * the arpeggio with the octave above.
 */
export function pitchRows(words: readonly string[], f: Pick<SoundFormat, 'row_a4' | 'rows'>): number[] {
  const rowOf = (pc: string, octave: number) => f.row_a4 + PITCH_CLASSES.indexOf(pc) - 9 + 12 * (octave - 4)
  const rows = new Set<number>()
  for (const w of words) if (NOTE.test(w)) rows.add(rowOf(w.slice(0, -1), Number(w.at(-1))))
  if (words.includes('chord') || words.includes('arpeggio')) {
    const root = words.find(w => PITCH_CLASS.test(w))
    if (root) {
      const r = rowOf(root, 4)
      for (const k of [0, words.includes('minor') ? 3 : 4, 7, ...(words.includes('arpeggio') ? [12] : [])]) rows.add(r + k)
    }
  }
  return [...rows].filter(r => r >= 0 && r < f.rows).sort((a, b) => a - b)
}
const NOTE = /^[a-g]#?\d$/
const PITCH_CLASS = /^[a-g]#?$/

/** The vocabulary in groups, for the UI and the README: words, then notes in a range. */
export function vocabularyGroups(cfg: Pick<AudioConfig, 'vocabulary'>): { words: string[], notes: string, pitchClasses: string[] } {
  const v = cfg.vocabulary.filter(w => !w.startsWith('['))
  const notes = v.filter(w => NOTE.test(w))
  const pc = (n: string) => PITCH_CLASSES.indexOf(n)
  const order = (n: string) => Number(n.at(-1)) * 12 + pc(n.slice(0, -1))
  const sorted = [...notes].sort((a, b) => order(a) - order(b))
  return {
    words: v.filter(w => !NOTE.test(w) && !PITCH_CLASS.test(w)),
    notes: sorted.length ? `${sorted[0]!.toUpperCase()} … ${sorted.at(-1)!.toUpperCase()}` : '',
    pitchClasses: v.filter(w => PITCH_CLASS.test(w)).sort((a, b) => pc(a) - pc(b)).map(w => w.toUpperCase()),
  }
}

export function describeVocabulary(cfg: Pick<AudioConfig, 'vocabulary'>): string {
  const g = vocabularyGroups(cfg)
  return `${g.words.join(', ')}; notes ${g.notes}; chord roots ${g.pitchClasses.join(' ')}`
}

/**
 * Checks what a person typed (the sampler's checks) and says which words the model does not know: it
 * still makes a sound from the words it knows (from none: the unconditional model).
 */
export function checkAudioParams(raw: { prompt?: unknown, seed?: unknown, steps?: unknown, guidance?: unknown }, cfg: AudioConfig): { params: GenerateParams, notes: string[], read: ReadPrompt } {
  const { params, notes } = checkParams({ guidance: cfg.sampling.default_guidance, steps: cfg.sampling.default_steps, ...raw })
  const read = readPrompt(params.prompt, cfg)
  if (read.unknown.length) {
    const list = read.unknown.slice(0, 6).map(w => `"${w.slice(0, 24)}"`).join(', ') + (read.unknown.length > 6 ? ` and ${read.unknown.length - 6} more` : '')
    notes.push(`Not in its vocabulary, left out: ${list}. ${read.known.length ? `It reads: ${read.known.join(' ')}.` : 'No known word is left, so it draws any sound.'} It knows: ${describeVocabulary(cfg)}.`)
  }
  if (read.dropped.length)
    notes.push(`It reads at most ${cfg.max_tokens - 1} words; left out: ${read.dropped.join(' ')}.`)
  return { params, notes, read }
}

export interface AudioSessions {
  /** onnx/text_encoder.onnx: input_ids, attention_mask → last_hidden_state, text_embeds */
  text: SessionLike
  /** onnx/unet.onnx: the picture [b, 1, 64, 64] */
  unet: SessionLike
}

/** micro-audio behind the sampler's interface. There is no autoencoder: `decode` hands the picture back. */
export function audioNets(ort: OrtLike, s: AudioSessions, cfg: AudioConfig): DiffusionNets {
  return {
    async encodeText(prompts) {
      const cond = await ortEncodeIds(ort, s.text, prompts.map((p) => {
        const r = readPrompt(p, cfg)
        return { ids: r.ids, truncated: r.dropped.length > 0 }
      }))
      if (cfg.pitch_hint) {
        const rows = new Float32Array(prompts.length * cfg.sound.rows)
        prompts.forEach((p, b) => pitchRows(wordsOf(p), cfg.sound).forEach(r => rows[b * cfg.sound.rows + r] = 1))
        cond.pitchRows = rows
      }
      return cond
    },
    denoise: cfg.pitch_hint ? ortDenoise(ort, s.unet, 1, { pitch_rows: c => new ort.Tensor('float32', c.pitchRows!, [c.batch, cfg.sound.rows]) }) : ortDenoise(ort, s.unet, 1),
    async decode(latents) {
      return Float32Array.from(latents)
    },
  }
}

/** A picture whose first `columns` columns are given (continuation). */
export interface GivenSound { picture: Picture, columns: number }

/** The replace hook: the given columns, noised to level t with the run's own starting noise. */
export function keepColumns(cfg: AudioConfig, given: GivenSound, start: Float32Array): (x: Float32Array, t: number) => void {
  const ab = scheduleOf(cfg).alphaBar
  const { rows, frames } = cfg.sound
  if (given.picture.length !== rows * frames)
    throw new DiffusionInputError(`a given sound picture has ${rows} × ${frames} values, not ${given.picture.length}`)
  return (x, t) => {
    const a = Math.sqrt(ab[t]!)
    const b = Math.sqrt(1 - ab[t]!)
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < given.columns; c++) {
        const i = r * frames + c
        x[i] = a * given.picture[i]! + b * start[i]!
      }
    }
  }
}

/** Every step of one sound's generation; with `given`, a continuation of the given columns. */
export async function* generateSound(nets: DiffusionNets, cfg: AudioConfig, params: GenerateParams,
  opts: { given?: GivenSound, signal?: AbortSignal, start?: Float32Array } = {}): AsyncGenerator<StepResult> {
  const start = opts.start ?? initialLatent(cfg, params.seed)
  const replace = opts.given && opts.given.columns > 0 ? keepColumns(cfg, opts.given, start) : undefined
  yield * generate(nets, cfg, params, { start, signal: opts.signal, replace })
}
