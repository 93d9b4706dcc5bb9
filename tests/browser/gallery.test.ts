/**
 * The gallery: images added under the reverse-diffusion demo survive a reload (IndexedDB), export as one
 * HTML file that shows them with the network blocked, a damaged import is refused with nothing lost, and
 * a browser that refuses storage still gets a working gallery in memory, with a message.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { deckPage, ready, watchedPage } from '../lib/deck'
import { deckSlides } from '../lib/slides'

const slides = await deckSlides()
const reverseNo = slides.find(s => s.content.includes('<ReverseDiffusion'))!.no
const galleryNo = slides.find(s => s.content.includes('<WorkshopGallery'))!.no
const guidanceNo = slides.find(s => s.content.includes('<GuidanceSeeds'))!.no
const tmp = mkdtempSync(join(tmpdir(), 'uth-gallery-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

describe('the gallery', () => {
  const s = deckPage()
  const prompts = ['red apple', 'rocket', 'castle']

  it('keeps three added images across a reload, exports them to a file that works offline, refuses a damaged import', async () => {
    const { page } = s.w
    await page.goto(`${s.deck.url}/${reverseNo}?backend=wasm`)
    const rev = await ready(page, reverseNo)
    for (const [k, prompt] of prompts.entries()) {
      await rev.getByTestId('reverse-prompt').fill(prompt)
      await rev.getByTestId('reverse-seed').fill(String(k + 1))
      await rev.getByTestId('reverse-steps').fill('4')
      await rev.getByTestId('reverse-play').click()
      await expect.poll(() => rev.getByTestId('reverse-panels').getAttribute('data-final-latent'), { timeout: 60_000 }).not.toBe('')
      await rev.getByTestId('reverse-add').click()
      await expect.poll(() => rev.getByTestId('reverse-added').innerText()).toContain(`(${k + 1} in the gallery)`)
    }

    await page.goto(`${s.deck.url}/${galleryNo}`)
    let gal = await ready(page, galleryNo)
    await expect.poll(() => gal.getByTestId('gallery').getAttribute('data-count')).toBe('3')
    await page.reload()
    gal = await ready(page, galleryNo)
    await expect.poll(() => gal.getByTestId('gallery').getAttribute('data-count')).toBe('3')
    expect(await gal.getByTestId('gallery').getAttribute('data-storage')).toBe('browser')
    const cards = await gal.getByTestId('gallery-card').allInnerTexts()
    prompts.forEach((p, k) => {
      expect(cards[k]).toContain(p)
      expect(cards[k]).toContain(`seed ${k + 1}`)
    })

    const [download] = await Promise.all([page.waitForEvent('download'), gal.getByTestId('gallery-export').click()])
    const file = join(tmp, 'gallery.html')
    await download.saveAs(file)
    const offline = await s.w.context.newPage()
    const asked: string[] = []
    offline.on('request', (r) => { if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) asked.push(r.url()) })
    await offline.goto(`file://${file}`)
    const imgs = offline.locator('img')
    expect(await imgs.count()).toBe(3)
    expect(await imgs.evaluateAll(els => els.every(e => (e as HTMLImageElement).complete && (e as HTMLImageElement).naturalWidth === 32))).toBe(true)
    const text = await offline.locator('body').innerText()
    for (const p of prompts) expect(text).toContain(p)
    expect(asked).toEqual([])
    await offline.close()

    await gal.getByTestId('gallery-import').setInputFiles({ name: 'broken.html', mimeType: 'text/html', buffer: Buffer.from('<html>not a gallery</html>') })
    await expect.poll(() => gal.getByTestId('gallery-note').innerText()).toMatch(/not a gallery exported by this deck/)
    expect(await gal.getByTestId('gallery').getAttribute('data-count')).toBe('3')
    await gal.getByTestId('gallery-import').setInputFiles({ name: 'gallery.html', mimeType: 'text/html', buffer: readFileSync(file) })
    await expect.poll(() => gal.getByTestId('gallery-note').innerText()).toMatch(/Imported 3 images/)
    expect(await gal.getByTestId('gallery').getAttribute('data-count')).toBe('3') // the same ids: merged, not doubled
    expect(s.w.pageErrors).toEqual([])
  })

  it('works in memory, and says so, when the browser refuses storage', async () => {
    const w = await watchedPage(s.deck)
    await w.context.addInitScript(() => {
      IDBFactory.prototype.open = () => { throw new DOMException('storage refused', 'SecurityError') }
    })
    await w.page.goto(`${s.deck.url}/${galleryNo}`)
    const gal = await ready(w.page, galleryNo)
    await expect.poll(() => gal.getByTestId('gallery').getAttribute('data-storage')).toBe('memory')
    expect(await gal.getByTestId('gallery-message').innerText()).toMatch(/memory/)
    await gal.getByTestId('gallery-import').setInputFiles({ name: 'gallery.html', mimeType: 'text/html', buffer: readFileSync(join(tmp, 'gallery.html')) })
    await expect.poll(() => gal.getByTestId('gallery').getAttribute('data-count')).toBe('3')
    expect(w.pageErrors).toEqual([])
    await w.context.close()
  })

  it('carries on in memory, and says so, when the storage quota is full', async () => {
    const w = await watchedPage(s.deck)
    await w.context.addInitScript(() => {
      IDBObjectStore.prototype.put = () => { throw new DOMException('quota', 'QuotaExceededError') }
    })
    await w.page.goto(`${s.deck.url}/${galleryNo}`)
    const gal = await ready(w.page, galleryNo)
    await expect.poll(() => gal.getByTestId('gallery').getAttribute('data-storage')).toBe('browser')
    await gal.getByTestId('gallery-import').setInputFiles({ name: 'gallery.html', mimeType: 'text/html', buffer: readFileSync(join(tmp, 'gallery.html')) })
    await expect.poll(() => gal.getByTestId('gallery-message').innerText()).toMatch(/storage is full.*memory/)
    await expect.poll(() => gal.getByTestId('gallery').getAttribute('data-count')).toBe('3')
    expect(await gal.getByTestId('gallery').getAttribute('data-storage')).toBe('memory')
    expect(w.pageErrors).toEqual([])
    await w.context.close()
  })

  it('takes an image of the guidance strip too, with its own guidance weight', async () => {
    const w = await watchedPage(s.deck)
    await w.page.goto(`${s.deck.url}/${guidanceNo}?backend=wasm`)
    const gs = await ready(w.page, guidanceNo)
    await gs.getByTestId('gs-run').click()
    await gs.getByTestId('gs-add-strip-3').click({ timeout: 120_000 })
    await expect.poll(() => gs.getByTestId('gs-add-strip-3').isDisabled()).toBe(true)
    await w.page.goto(`${s.deck.url}/${galleryNo}`)
    const gal = await ready(w.page, galleryNo)
    await expect.poll(() => gal.getByTestId('gallery').getAttribute('data-count')).toBe('1')
    expect(await gal.getByTestId('gallery-card').innerText()).toMatch(/guidance and seeds · seed 1/)
    expect(w.pageErrors).toEqual([])
    await w.context.close()
  })
})
