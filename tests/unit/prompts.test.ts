/**
 * The prompt builder's engine, with micro-CLIP's own tokenizer: the prompt is the filled-in parts in the
 * guide's order; each variant leaves out exactly one part; words cut into pieces are flagged.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { checkWords, compose, DEFAULT_FIELDS, nearestWords, shift, tokenLimitNote, variants } from '../../packages/slidev-addon-under-the-hood/demos/prompts/builder'
import { folderId, loadTransformersNode, SHIPPED_MODELS } from '../../packages/slidev-addon-under-the-hood/demos/runtime/node'

describe('prompt builder', () => {
  it('puts the filled-in parts together in the guide\'s order, and leaves one out per variant', () => {
    const fields = { ...DEFAULT_FIELDS, subject: ' red apple ', action: 'on a table', medium: '' }
    expect(compose(fields)).toBe('red apple, on a table, cinematic, sunrise, close-up')
    const vs = variants(fields)
    expect(vs[0]).toEqual({ key: 'full', prompt: 'red apple, on a table, cinematic, sunrise, close-up', negative: '' })
    expect(vs.map(v => v.key)).toEqual(['full', 'subject', 'action', 'style', 'lighting', 'camera'])
    expect(vs.find(v => v.key === 'style')!.prompt).toBe('red apple, on a table, sunrise, close-up')
    expect(compose({ subject: '', action: '', style: '', lighting: '', camera: '', medium: '' })).toBe('')
    // a negative prompt goes with every variant, and one more variant leaves it out
    const neg = variants(fields, ' green ')
    expect(neg.slice(0, -1).every(v => v.negative === 'green')).toBe(true)
    expect(neg.at(-1)).toEqual({ key: 'negative', prompt: vs[0]!.prompt, negative: '' })
  })

  it('flags the words micro-CLIP\'s tokenizer cuts into pieces', async () => {
    const t = await loadTransformersNode()
    const tok = await t.AutoTokenizer.from_pretrained(folderId(join(SHIPPED_MODELS, 'micro-clip')))
    const pieces = (w: string) => (tok as unknown as { tokenize: (s: string) => string[] }).tokenize(w)
    const checks = checkWords('Red apple, watercolor, xyzzy red', pieces)
    expect(checks.map(c => c.word)).toEqual(['red', 'apple', 'watercolor', 'xyzzy'])
    expect(checks.filter(c => !c.known).map(c => c.word)).toEqual(['watercolor', 'xyzzy'])
    expect(checks.find(c => c.word === 'watercolor')!.pieces.length).toBeGreaterThan(1)
  })

  it('measures shifts as 1 − cosine and finds the nearest known words', () => {
    const v = (...x: number[]) => Float32Array.from(x)
    expect(shift(v(1, 0), v(1, 0))).toBeCloseTo(0, 9)
    expect(shift(v(1, 0), v(0, 1))).toBeCloseTo(1, 9)
    const items = [{ text: 'east', group: '', vector: v(1, 0) }, { text: 'north', group: '', vector: v(0, 1) }, { text: 'west', group: '', vector: v(-1, 0) }]
    expect(nearestWords(v(0.9, 0.2), items, 2)).toEqual(['east', 'north'])
  })

  it('says when a prompt is longer than the text encoder reads', () => {
    expect(tokenLimitNote(Array.from({ length: 30 }, () => 'cat'))).toBe('')
    const note = tokenLimitNote([...Array.from({ length: 30 }, () => 'cat'), 'water', '##color', 'sky'])
    expect(note).toMatch(/first 30 word pieces of 33: "watercolor sky" changes nothing/)
  })
})
