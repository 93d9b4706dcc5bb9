/**
 * Tokenizer playground, embedding projector and CLIP matrix in the built deck, offline: typing into each
 * gives the engine's real outputs; bad input gets a message; nothing leaves the machine.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { encode as o200k } from 'gpt-tokenizer/encoding/o200k_base'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Deck, Watched } from '../lib/deck'
import { blur, nav, openDeck, ready, ROOT, watchedPage } from '../lib/deck'
import { deckSlides } from '../lib/slides'

const slides = await deckSlides()
const no = (tag: string) => slides.find(s => s.content.includes(`<${tag}`))!.no

describe('text and image demos', () => {
  let deck: Deck
  let w: Watched
  beforeAll(async () => {
    deck = await openDeck()
    w = await watchedPage(deck)
  })
  afterAll(async () => {
    expect(w.external).toEqual([])
    expect(w.pageErrors).toEqual([])
    expect(w.consoleErrors).toEqual([])
    await w?.context.close()
    await deck?.close()
  })

  it('tokenizer playground: counts equal the o200k encoding on every keystroke; a pasted novel does not freeze', async () => {
    const n = no('TokenizerPlayground')
    await w.page.goto(`${deck.url}/${n}`)
    const frame = await ready(w.page, n)
    const left = frame.getByTestId('tok-side-0')
    const text = frame.getByTestId('tok-text')
    for (const s of ['epic wide shot of a warrior', 'Café 🎬 مرحبا\u200b!', '   ']) {
      await text.fill(s)
      await expect.poll(() => left.getAttribute('data-tokens')).toBe(String(o200k(s).length))
    }
    await text.pressSequentially(' x', { delay: 30 })
    await expect.poll(() => left.getAttribute('data-tokens')).toBe(String(o200k('    x').length))
    expect(await frame.getByTestId('tok-side-1').getAttribute('data-tokens')).not.toBe('')
    const novel = 'Call me Ishmael. Some years ago — never mind how long precisely — '.repeat(1600).slice(0, 100_000)
    await text.fill(novel)
    await expect.poll(() => left.getAttribute('data-tokens'), { timeout: 30_000 }).toBe(String(o200k(novel).length))
    await expect.poll(() => frame.getByTestId('tok-more-0').innerText()).toMatch(/more tokens/)
    await blur(w.page)
    await w.page.keyboard.press('ArrowRight')
    await expect.poll(async () => (await nav(w.page)).current).toBe(n + 1) // the deck stays navigable
  })

  it('embedding projector: typing places a word and changes the neighbour list; PCA and UMAP both draw', async () => {
    const n = no('EmbeddingProjector')
    await w.page.goto(`${deck.url}/${n}`)
    const frame = await ready(w.page, n)
    const list = () => frame.getByTestId('proj-neighbours').locator('li').allInnerTexts()
    await expect.poll(async () => (await list()).length, { timeout: 30_000 }).toBe(8)
    const before = await list()
    await frame.getByTestId('proj-query').fill('whale')
    await expect.poll(list).not.toEqual(before)
    expect(await frame.getByTestId('proj-canvas').getAttribute('data-points')).not.toBe('0')
    await expect.poll(() => frame.getByTestId('proj-analogy').innerText(), { timeout: 30_000 }).toMatch(/− .* \+ .* ≈/)
    await expect.poll(() => frame.getByTestId('proj-shift').innerText()).toMatch(/cinematic[\s\S]*beautiful/)
    await frame.getByTestId('proj-umap').click()
    await expect.poll(() => frame.getByTestId('proj-canvas').getAttribute('data-method')).toBe('umap')
    await frame.getByTestId('proj-query').fill('\u202Eزz\u200b  ')
    await expect.poll(async () => (await list()).length).toBe(8)
  })

  it('CLIP matrix: preset photographs load by their content even when the server calls them application/octet-stream', async () => {
    const n = no('ClipMatrix')
    const other = await watchedPage(deck)
    await other.context.route('**/images/photos/*', async (route) => {
      const res = await route.fetch()
      await route.fulfill({ response: res, headers: { ...res.headers(), 'content-type': 'application/octet-stream' } })
    })
    await other.page.goto(`${deck.url}/${n}`)
    const frame = await ready(other.page, n)
    await expect.poll(() => frame.getByTestId('clip-matrix').getAttribute('data-cols'), { timeout: 30_000 }).toBe('8')
    expect(other.pageErrors).toEqual([])
    await other.context.close()
  })

  it('CLIP matrix: the right pairs win for the preset images; dropping a PNG adds a column; a text file is refused', async () => {
    const n = no('ClipMatrix')
    await w.page.goto(`${deck.url}/${n}`)
    const frame = await ready(w.page, n)
    const matrix = frame.getByTestId('clip-matrix')
    await expect.poll(() => matrix.getAttribute('data-cols'), { timeout: 30_000 }).toBe('8')
    await expect.poll(() => matrix.getAttribute('data-rows')).toBe('8')
    // 6 emoji and 2 photographs; micro-CLIP knows emoji art, so it must get (nearly) all emoji pairs right
    const right = await matrix.locator('td.right').evaluateAll(cells => cells.map(c => c.classList.contains('best')))
    expect(right).toHaveLength(8)
    expect(right.slice(0, 6).filter(Boolean).length).toBeGreaterThanOrEqual(5)
    const png = readFileSync(join(ROOT, 'packages', 'slidev-addon-under-the-hood', 'images', 'emoji', '1f43c.png')).toString('base64')
    await frame.getByTestId('clip-drop').evaluate(async (el, b64) => {
      const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0))
      const dt = new DataTransfer()
      dt.items.add(new File([bytes], 'my-panda.png', { type: 'image/png' }))
      el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }))
    }, png)
    await expect.poll(() => matrix.getAttribute('data-cols')).toBe('9')
    // the dropped panda is closest to the "panda face" prompt
    const pandaRow = await frame.getByTestId('clip-cell-2-8').getAttribute('data-sim')
    expect(Number(pandaRow)).toBeGreaterThan(Number(await frame.getByTestId('clip-cell-0-8').getAttribute('data-sim')))
    await frame.getByTestId('clip-file').setInputFiles({ name: 'script.txt', mimeType: 'text/plain', buffer: Buffer.from('INT. NIGHT') })
    await expect.poll(() => frame.getByTestId('clip-error').innerText()).toMatch(/not an image/)
    await frame.getByTestId('clip-prompts').fill(Array.from({ length: 40 }, (_, i) => `prompt ${i}`).join('\n'))
    await expect.poll(() => frame.getByTestId('clip-note').innerText()).toMatch(/40 prompts: the matrix shows the first 12/)
    await expect.poll(() => matrix.getAttribute('data-rows')).toBe('12')
  })
})
