/**
 * micro-GPT engine: tokenize, run the causal transformer, turn scores into next-token probabilities
 * at a temperature, sample with a seed, and read attention matrices. No Vue, no DOM: the model runner
 * is injected (onnxruntime-web through demos/runtime in the browser, onnxruntime-node in tests).
 */

import type { OrtLike, SessionLike } from '../runtime/ort'
import { seededRandom } from '../shared/random'

export interface GptOutput {
  /** Scores for the next token after the last position [vocab]. */
  lastLogits: Float32Array
  /** Attention weights, flat [layers, heads, n, n]. */
  attentions: Float32Array
  layers: number
  heads: number
  /** Tokens the model saw (the last `context` of the input). */
  n: number
}

/** Runs the ONNX model on one sequence of token ids. */
export type GptRunner = (ids: number[]) => Promise<GptOutput>

export interface Tokenizer {
  encode: (text: string) => number[]
  /** Text of one token as it should be shown (without continuation marks). */
  token: (id: number) => string
}

export interface Candidate { id: number, token: string, p: number }

export const MAX_INPUT_CHARS = 20_000

/**
 * Appends a token to text the way it reads: no space before punctuation or a word-piece ("##s"),
 * none after an apostrophe or an opening bracket.
 */
export function appendToken(text: string, token: string): string {
  const t = text.replace(/\s+$/, '')
  const piece = token.replace(/^##/, '')
  const glue = !t || token.startsWith('##') || /^[.,;:!?’')\]]/.test(token) || /[’'(\[]$/.test(t) ? '' : ' '
  return `${t}${glue}${piece}`
}

/** A token as the audience should read it: a word-piece that continues the previous word ("##s") shows as "‑s". */
export function shownToken(token: string): string {
  return token.startsWith('##') ? `‑${token.slice(2)}` : token
}

/** Softmax of logits / temperature (temperature clamped to [0.05, 5]; NaN → 1). */
export function softmax(logits: ArrayLike<number>, temperature = 1): Float64Array {
  const t = Number.isFinite(temperature) ? Math.min(5, Math.max(0.05, temperature)) : 1
  let max = -Infinity
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]! / t)
  const out = new Float64Array(logits.length)
  let sum = 0
  for (let i = 0; i < logits.length; i++) {
    out[i] = Math.exp(logits[i]! / t - max)
    sum += out[i]!
  }
  for (let i = 0; i < out.length; i++) out[i]! /= sum
  return out
}

/** The k most likely next tokens (k clamped to 1…50). */
export function topK(probs: ArrayLike<number>, k: number, token: (id: number) => string): Candidate[] {
  const kk = Math.min(50, Math.max(1, Math.floor(Number.isFinite(k) ? k : 5)))
  const idx = Array.from({ length: probs.length }, (_, i) => i)
  idx.sort((a, b) => probs[b]! - probs[a]!)
  return idx.slice(0, kk).map(id => ({ id, token: token(id), p: probs[id]! }))
}

export { seededRandom }

/** Draws one id from a probability vector with a uniform random number in [0, 1). */
export function sample(probs: ArrayLike<number>, u: number): number {
  let acc = 0
  for (let i = 0; i < probs.length; i++) {
    acc += probs[i]!
    if (u < acc) return i
  }
  return probs.length - 1
}

/** Attention matrix of one layer and head: rows are query tokens, each row sums to 1. */
export function attentionMatrix(out: GptOutput, layer: number, head: number): number[][] {
  if (layer < 0 || layer >= out.layers || head < 0 || head >= out.heads)
    throw new RangeError(`layer ${layer} / head ${head} out of range (${out.layers} layers, ${out.heads} heads)`)
  const n = out.n
  const base = (layer * out.heads + head) * n * n
  return Array.from({ length: n }, (_, i) => Array.from(out.attentions.subarray(base + i * n, base + (i + 1) * n)))
}

export class GptEngine {
  constructor(private readonly run: GptRunner, private readonly tok: Tokenizer, readonly context: number) {}

  /** Text of one token, for display. */
  token(id: number): string {
    return this.tok.token(id)
  }

  /** Token ids of `text` (refuses empty input; very long input keeps its last `MAX_INPUT_CHARS`). */
  encode(text: string): number[] {
    const t = text.length > MAX_INPUT_CHARS ? text.slice(-MAX_INPUT_CHARS) : text
    const ids = this.tok.encode(t)
    if (!ids.length)
      throw new RangeError('Type at least one word: there is nothing to continue.')
    return ids
  }

  async forward(ids: number[]): Promise<GptOutput> {
    return this.run(ids.slice(-this.context))
  }

  /** The next-token distribution after `text`, with its top k candidates. */
  async predict(text: string, { temperature = 1, k = 8 } = {}): Promise<{ ids: number[], out: GptOutput, probs: Float64Array, top: Candidate[] }> {
    const ids = this.encode(text)
    const out = await this.forward(ids)
    const probs = softmax(out.lastLogits, temperature)
    return { ids, out, probs, top: topK(probs, k, id => this.tok.token(id)) }
  }

  /** Generates `n` tokens one at a time; the same seed gives the same tokens. */
  async generate(text: string, n: number, { temperature = 0.8, seed = 0 } = {}): Promise<number[]> {
    const ids = this.encode(text)
    const rnd = seededRandom(seed)
    const count = Math.min(200, Math.max(0, Math.floor(n)))
    const added: number[] = []
    for (let i = 0; i < count; i++) {
      const out = await this.forward(ids)
      const id = sample(softmax(out.lastLogits, temperature), rnd())
      ids.push(id)
      added.push(id)
    }
    return added
  }
}


/** A GptRunner over an ONNX Runtime session of micro-GPT's model.onnx. */
export function ortRunner(ort: OrtLike, session: SessionLike): GptRunner {
  return async (ids) => {
    const input = new ort.Tensor('int64', BigInt64Array.from(ids, v => BigInt(v)), [1, ids.length])
    const r = await session.run({ input_ids: input })
    const logits = r.logits!
    const att = r.attentions!
    const [, n, vocab] = logits.dims as [number, number, number]
    const data = logits.data as Float32Array
    const [layers, , heads] = att.dims as [number, number, number]
    return { lastLogits: data.slice((n - 1) * vocab, n * vocab), attentions: att.data as Float32Array, layers, heads, n }
  }
}
