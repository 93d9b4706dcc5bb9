/**
 * The prompt builder: a prompt put together from the parts of a prompting guide ([subject] + [action] +
 * [style] + [lighting] + [camera] + [medium], and a negative prompt), and what each part does, measured on
 * our own models: how far it moves the prompt's text embedding, and the image with the same seed without it. Words the
 * text encoder does not know as words (it cuts them into pieces) are marked, with the nearest words it
 * does know. Framework-free: the caller brings the tokenizer, the text encoder and the generator.
 */
import type { Item } from '../projector/engine'
import { cosine } from '../projector/engine'

export const FIELDS = [
  { key: 'subject', label: 'subject' },
  { key: 'action', label: 'action / scene' },
  { key: 'style', label: 'style' },
  { key: 'lighting', label: 'lighting / mood' },
  { key: 'camera', label: 'camera / composition' },
  { key: 'medium', label: 'medium' },
] as const
export type FieldKey = typeof FIELDS[number]['key']
export type Fields = Record<FieldKey, string>

export const DEFAULT_FIELDS: Fields = { subject: 'cat face', action: '', style: 'cinematic', lighting: 'sunrise', camera: 'close-up', medium: '' }
/** Longest field: prompts are cut by the tokenizer anyway (32 tokens for micro-CLIP). */
export const MAX_FIELD = 120

/** The prompt: the filled-in fields in the guide's order, comma-separated; `without` leaves one out. */
export function compose(fields: Fields, without?: FieldKey): string {
  return FIELDS.filter(f => f.key !== without).map(f => fields[f.key].trim().slice(0, MAX_FIELD)).filter(Boolean).join(', ')
}

export interface Variant { key: 'full' | FieldKey | 'negative', prompt: string, negative: string }

/**
 * What the contact sheet shows: the full prompt, the prompt without each filled-in field, and (when there
 * is a negative prompt, which every other variant uses) the full prompt without it.
 */
export function variants(fields: Fields, negative = ''): Variant[] {
  const neg = negative.trim().slice(0, MAX_FIELD)
  const full = compose(fields)
  return [
    { key: 'full', prompt: full, negative: neg },
    ...FIELDS.filter(f => fields[f.key].trim()).map(f => ({ key: f.key, prompt: compose(fields, f.key), negative: neg })),
    ...(neg ? [{ key: 'negative' as const, prompt: full, negative: '' }] : []),
  ]
}

/** How far two prompts' text embeddings are apart: 1 − cosine similarity (0 = the same direction). */
export function shift(a: Float32Array, b: Float32Array): number {
  return 1 - cosine(a, b)
}

export interface WordCheck { word: string, pieces: string[], known: boolean }

/** Each word of the text, and whether the tokenizer keeps it whole (known) or cuts it into pieces. */
export function checkWords(text: string, tokenize: (word: string) => string[]): WordCheck[] {
  const words = [...new Set(text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [])]
  return words.map((word) => {
    const pieces = tokenize(word)
    return { word, pieces, known: pieces.length === 1 && !/^\[UNK\]$/i.test(pieces[0]!) }
  })
}

/** The `k` items (words the model knows) nearest to a vector, by cosine similarity. */
export function nearestWords(v: Float32Array, items: readonly Item[], k = 3): string[] {
  return items.map(i => ({ text: i.text, sim: cosine(v, i.vector) }))
    .sort((a, b) => b.sim - a.sim).slice(0, k).map(i => i.text)
}

/** Word pieces the text encoder reads (micro-CLIP: 32 ids, of which [CLS] and [SEP] take two). */
export const TOKEN_LIMIT = 30

/** A note when the prompt is longer than the encoder reads, saying from where it stops listening. */
export function tokenLimitNote(pieces: readonly string[], limit = TOKEN_LIMIT): string {
  if (pieces.length <= limit) return ''
  const rest = pieces.slice(limit).join(' ').replace(/ ##/g, '')
  return `The text encoder reads the first ${limit} word pieces of ${pieces.length}: "${rest.slice(0, 60)}${rest.length > 60 ? '…' : ''}" changes nothing.`
}
