/**
 * The gallery's engine: an exported file reads back to the same items; text cannot break out of the
 * page or its JSON; damaged files are refused whole; imports merge by id; memory storage works.
 */
import { describe, expect, it } from 'vitest'
import type { GalleryItem } from '../../packages/slidev-addon-under-the-hood/demos/gallery/store'
import { checkItem, exportHtml, GalleryImportError, memoryStorage, merge, newId, parseGalleryFile } from '../../packages/slidev-addon-under-the-hood/demos/gallery/store'

// a 1×1 PNG
const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='
const item = (id: string, prompt: string, at: number, extra: Partial<GalleryItem> = {}): GalleryItem =>
  ({ id, image: PNG, prompt, source: 'micro-diffusion · reverse diffusion', seed: 3, settings: { steps: 30, sampler: 'ddim' }, author: 'Ada', at, ...extra })

describe('gallery', () => {
  it('reads its own export back to the same items', () => {
    const items = [item('a1', 'red apple', 1), item('b2', 'rocket', 2, { seed: undefined, author: '' })]
    const html = exportHtml(items)
    expect(html).not.toMatch(/\b(?:src|href)="https?:/) // nothing to fetch
    expect(html.match(/<img /g)).toHaveLength(2)
    expect(parseGalleryFile(html)).toEqual(items)
  })

  it('keeps prompts as text: no markup in the page, no way out of the JSON', () => {
    const evil = '<img src=x onerror=alert(1)></script><script>alert(2)</script>'
    const html = exportHtml([item('x1', evil, 1, { author: '"><b>' })])
    expect(html).not.toContain('<img src=x')
    expect(html).not.toContain('<script>alert')
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;')
    expect(parseGalleryFile(html)[0]!.prompt).toBe(evil)
  })

  it('refuses a damaged or foreign file whole, saying why', () => {
    const good = JSON.stringify({ version: 1, items: [item('a1', 'ok', 1)] })
    expect(parseGalleryFile(good)).toHaveLength(1)
    const bad = [
      '<html>a page of something else</html>',
      '{"version": 2, "items": []}',
      JSON.stringify({ version: 1, items: [item('a1', 'ok', 1), { ...item('b2', 'bad', 2), image: 'https://example.com/x.png' }] }),
      JSON.stringify({ version: 1, items: [{ ...item('c3', 'bad', 3), settings: { steps: { nested: 1 } } }] }),
      JSON.stringify({ version: 1, items: [{ ...item('d4', 'bad', 4), id: '../../etc' }] }),
    ]
    for (const text of bad)
      expect(() => parseGalleryFile(text), text.slice(0, 60)).toThrow(GalleryImportError)
    expect(typeof checkItem({ ...item('e5', 'x', 5), image: 'data:image/svg+xml;base64,PHN2Zz4=' })).toBe('string')
  })

  it('merges by id, oldest first; memory storage keeps what it is given', async () => {
    const a = item('a1', 'apple', 1)
    const b = item('b2', 'rocket', 2)
    const b2 = { ...b, prompt: 'rocket, again' }
    expect(merge([b, a], [b2]).map(i => i.prompt)).toEqual(['apple', 'rocket, again'])
    const s = memoryStorage([b])
    await s.put([a])
    expect((await s.list()).map(i => i.id)).toEqual(['a1', 'b2'])
    await s.remove('a1')
    expect(await s.list()).toEqual([b])
    expect(newId(1, () => 0.5)).not.toBe(newId(1, () => 0.25))
  })
})
