/**
 * Embedding projector engine on the shipped micro-CLIP: neighbours by cosine, PCA and UMAP layouts,
 * a vector-arithmetic example found in the model's own space, and how far style words move a prompt.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { folderId, loadTransformersNode, SHIPPED_MODELS } from '../../packages/slidev-addon-under-the-hood/demos/runtime/node'
import type { Item } from '../../packages/slidev-addon-under-the-hood/demos/projector/engine'
import { ANALOGY_PHRASES, cosine, findAnalogies, nearest, parseEmbeddings, pca3, styleShift, umap3, unit } from '../../packages/slidev-addon-under-the-hood/demos/projector/engine'

const items = parseEmbeddings(JSON.parse(readFileSync(join(SHIPPED_MODELS, 'micro-clip', 'embeddings.json'), 'utf8')))

async function embedder() {
  const t = await loadTransformersNode()
  const id = folderId(join(SHIPPED_MODELS, 'micro-clip'))
  const tok = await t.AutoTokenizer.from_pretrained(id)
  const model = await t.CLIPTextModelWithProjection.from_pretrained(id, { dtype: 'fp32' })
  return async (texts: string[]) => {
    const out = await model(tok(texts, { padding: true, truncation: true }))
    const d = out.text_embeds.data as Float32Array
    return texts.map((_, i) => unit(d.slice((i * d.length) / texts.length, ((i + 1) * d.length) / texts.length)))
  }
}

describe('embedding projector engine', () => {
  it('lists neighbours by cosine, the query itself first', () => {
    const red = items.find(i => i.text === 'red')!
    const n = nearest(red.vector, items, 5)
    expect(n[0]!.item.text).toBe('red')
    expect(n[0]!.sim).toBeCloseTo(1, 5)
    for (let i = 1; i < n.length; i++) expect(n[i - 1]!.sim).toBeGreaterThanOrEqual(n[i]!.sim)
    expect(nearest(red.vector, items, 5, ['red']).map(x => x.item.text)).not.toContain('red')
  })

  it('projects to 3D with PCA and UMAP (seeded), and places a new vector', async () => {
    const p = pca3(items.map(i => i.vector))
    expect(p.points).toHaveLength(items.length)
    expect(Math.max(...p.points.flat().map(Math.abs))).toBeCloseTo(1, 5)
    expect(p.explained![0]!).toBeGreaterThan(p.explained![1]!)
    // placing a known vector lands on its own point
    const k = 7
    p.place(items[k]!.vector).forEach((v, d) => expect(v).toBeCloseTo(p.points[k]![d]!, 4))
    const u1 = await umap3(items.map(i => i.vector), 1)
    const u2 = await umap3(items.map(i => i.vector), 1)
    expect(u1.points).toEqual(u2.points)
    expect(u1.points[0]).toHaveLength(3)
  })

  it('finds vector arithmetic that works in micro-CLIP (a − b + c → d, not hard-coded)', async () => {
    const embed = await embedder()
    const words = [...new Set(ANALOGY_PHRASES.flatMap(p => p.split(' ')))]
    const texts = [...words, ...ANALOGY_PHRASES]
    const vecs = await embed(texts)
    const space: Item[] = texts.map((t, i) => ({ text: t, group: words.includes(t) ? (['heart', 'circle', 'square', 'apple', 'book', 'car'].includes(t) ? 'thing' : 'colour') : 'phrase', vector: vecs[i]! }))
    const found = findAnalogies(space)
    expect(found.length).toBeGreaterThan(0)
    const best = found[0]!
    // check it independently: a − b + c is nearest to d
    const v = (s: string) => space.find(x => x.text === s)!.vector
    const q = v(best.a).map((x, i) => x - v(best.b)[i]! + v(best.c)[i]!)
    const order = space.filter(x => ![best.a, best.b, best.c].includes(x.text)).sort((x, y) => cosine(q, y.vector) - cosine(q, x.vector))
    expect(order[0]!.text).toBe(best.d)
    expect(best.d).toBe(`${best.c} ${best.a.split(' ')[1]}`)
  })

  it('measures how far "cinematic" and "beautiful" move a prompt', async () => {
    const embed = await embedder()
    const [base, cin, beau] = await embed(['castle', 'cinematic castle', 'beautiful castle'])
    const imgs = [unit([1, 0, 0]), unit([0, 1, 0])]
    const s = styleShift('cinematic', 'castle', base!, cin!, [base!.slice(0, 3), cin!.slice(0, 3)].map(unit).concat(imgs))
    expect(s.prompt).toBe('cinematic castle')
    expect(s.moved).toBeGreaterThan(0)
    expect(s.moved).toBeLessThan(2)
    expect(1 - cosine(base!, beau!)).toBeGreaterThan(0)
  })

  it('refuses a malformed embeddings file with a message', () => {
    expect(() => parseEmbeddings({})).toThrow(/no items/)
    expect(() => parseEmbeddings({ items: [{ text: 1 }] })).toThrow(/item 0 is malformed/)
  })
})
