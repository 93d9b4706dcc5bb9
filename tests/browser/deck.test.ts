/**
 * The built deck in real Chromium, with every request that would leave the machine aborted.
 */
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Deck } from '../lib/deck'
import { blur, nav, openDeck, settled, watchedPage } from '../lib/deck'
import { deckSlides } from '../lib/slides'

const slides = await deckSlides()
const preflightNo = slides.find(s => s.content.includes('<PreflightCheck'))!.no
/** The shipped model comes with at least this many unseen (validation) samples it names right (samples.json). */
const MIN_HELD_OUT_SAMPLES = Number(process.env.UTH_MIN_HELD_OUT_SAMPLES ?? 4)

/** The pre-flight demo's frame, once it has finished (ready or error). */
const settledPreflight = (page: Page) => settled(page, preflightNo, 180_000)

describe('the deck, offline', () => {
  let deck: Deck
  beforeAll(async () => {
    deck = await openDeck()
  })
  afterAll(async () => {
    await deck?.close()
  })

  it('walks every slide and every click, each demo loading for real, with no external request and no error', async () => {
    const w = await watchedPage(deck)
    await w.page.goto(`${deck.url}/1`)
    const start = await nav(w.page)
    expect(start.total).toBe(slides.length)
    const seen: number[] = []
    const failed: string[] = []
    // Each press moves one step: the next click on this slide, or the next slide.
    const jumps: string[] = []
    let at = start
    for (;;) {
      seen.push(at.current)
      // Every live demo on this slide finishes loading (placeholders stay idle): its errors are this walk's.
      const frames = w.page.locator(`[data-slidev-no="${at.current}"] .demo-frame:not([data-demo^="placeholder:"])`)
      await expect.poll(() => frames.evaluateAll(fs => fs.every(f => /ready|error/.test(f.getAttribute('data-phase') ?? ''))), { timeout: 120_000 }).toBe(true)
      failed.push(...await frames.evaluateAll(fs => fs.filter(f => f.getAttribute('data-phase') === 'error').map(f => f.getAttribute('data-demo') ?? '')))
      if (at.current === at.total && at.clicks >= at.clicksTotal) break
      const before = `${at.current}:${at.clicks}`
      await blur(w.page)
      await w.page.keyboard.press('ArrowRight')
      const was = at
      await expect.poll(async () => { at = await nav(w.page); return `${at.current}:${at.clicks}` }).not.toBe(before)
      const oneStep = at.current === was.current ? at.clicks === was.clicks + 1 : at.current === was.current + 1
      if (!oneStep)
        jumps.push(`${before} → ${at.current}:${at.clicks}`)
    }
    expect(jumps).toEqual([])
    expect([...new Set(seen)]).toEqual(slides.map(s => s.no))
    expect(failed).toEqual([])
    expect(w.external).toEqual([])
    expect(w.pageErrors).toEqual([])
    expect(w.consoleErrors).toEqual([])
    await w.context.close()
  })

  it('shows non-empty speaker notes in presenter view for every slide', async () => {
    const w = await watchedPage(deck, { width: 1400, height: 900 })
    await w.page.goto(`${deck.url}/presenter/1`)
    const empty: number[] = []
    await w.page.locator('.slidev-note').first().waitFor({ state: 'attached', timeout: 30_000 })
    for (const s of slides) {
      // Moves within the presenter view, as the presenter does (its notes follow the slide).
      await w.page.evaluate(no => (window as unknown as { __underTheHood: { nav: { go: (n: number) => void } } }).__underTheHood.nav.go(no), s.no)
      // The note shown must be this slide's note, not a neighbour's.
      const firstWords = s.note.replace(/\s+/g, ' ').slice(0, 25)
      const shown = await w.page.waitForFunction(([no, words]) => {
        const nav = (window as unknown as { __underTheHood: { nav: { current: number } } }).__underTheHood.nav
        const text = (document.querySelector('.slidev-note') as HTMLElement | null)?.innerText.replace(/\s+/g, ' ').trim() ?? ''
        return nav.current === no && !!words && text.includes(words)
      }, [s.no, firstWords] as const, { timeout: 30_000, polling: 50 }).then(() => true, () => false)
      if (!shown)
        empty.push(s.no)
    }
    expect(empty).toEqual([])
    expect(w.external).toEqual([])
    await w.context.close()
  })

  it('keeps the slide when typing letters, arrows and space into a demo input', async () => {
    const w = await watchedPage(deck)
    await w.page.goto(`${deck.url}/${preflightNo}`)
    const input = w.page.locator(`[data-slidev-no="${preflightNo}"] [data-testid="preflight-model"]`)
    await settledPreflight(w.page)
    await input.click()
    await input.fill('')
    await w.page.keyboard.type('abc def')
    for (const key of ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Space', 'PageDown', 'Home', 'End', 'n', 'p'])
      await w.page.keyboard.press(key)
    // The last key has reached the input, so every key before it has been handled.
    await expect.poll(() => input.inputValue()).toBe('abc def np')
    expect((await nav(w.page)).current).toBe(preflightNo)
    // Outside the input the arrows navigate again.
    await blur(w.page)
    await w.page.keyboard.press('ArrowRight')
    await expect.poll(async () => (await nav(w.page)).current).toBe(preflightNo + 1)
    await w.context.close()
  })

  it('moves one slide per press while the new slide keeps the page busy past the key-repeat delay; a held key repeats', async () => {
    const w = await watchedPage(deck)
    // Two slides in a row without clicks, so each step is a slide.
    const from = slides.find((s, i) => i + 3 < slides.length && [0, 1, 2, 3].every(k => !/v-click|<v-clicks|clicks:/.test(slides[i + k]!.content)))!.no
    await w.page.goto(`${deck.url}/${from}`)
    await expect.poll(async () => (await nav(w.page)).current).toBe(from)
    // Once the next slide shows, the page is busy for 1.6 s (a demo loading there), and only then
    // handles the key's release. `busyDone` is set 1.2 s after that, past Slidev's repeat timer.
    await w.page.evaluate((from) => {
      const win = window as unknown as { __underTheHood: { nav: { current: number } }, busyDone?: boolean }
      window.addEventListener('keydown', () => {
        const wait = () => {
          if (win.__underTheHood.nav.current === from)
            return setTimeout(wait, 5)
          const t = performance.now()
          while (performance.now() - t < 1600);
          setTimeout(() => { win.busyDone = true }, 1200)
        }
        wait()
      }, { once: true })
    }, from)
    await blur(w.page)
    await w.page.keyboard.down('ArrowRight')
    await expect.poll(async () => (await nav(w.page)).current).toBe(from + 1)
    await w.page.keyboard.up('ArrowRight')
    await w.page.waitForFunction(() => (window as unknown as { busyDone?: boolean }).busyDone)
    expect((await nav(w.page)).current).toBe(from + 1)
    // A key held down (the browser repeats its keydown) still runs on through the slides.
    await w.page.keyboard.down('ArrowRight')
    await w.page.keyboard.down('ArrowRight')
    await expect.poll(async () => (await nav(w.page)).current, { timeout: 10_000 }).toBeGreaterThanOrEqual(from + 3)
    await w.page.keyboard.up('ArrowRight')
    expect(w.pageErrors).toEqual([])
    await w.context.close()
  })
})

describe('demo frame: runtime, backends and failures', () => {
  let deck: Deck
  beforeAll(async () => {
    deck = await openDeck()
  })
  afterAll(async () => {
    await deck?.close()
  })

  async function openPreflight(page: Page, query = '') {
    await page.goto(`${deck.url}/${preflightNo}${query}`)
    return settledPreflight(page)
  }

  it('runs every runtime on WebAssembly without WebGPU, says it fell back, and matches training', async () => {
    const w = await watchedPage(deck)
    const frame = await openPreflight(w.page)
    expect(await frame.getAttribute('data-phase')).toBe('ready')
    expect(await frame.getAttribute('data-backend')).toBe('wasm')
    await expect.poll(() => frame.getByTestId('backend-badge').innerText()).toMatch(/WASM · fallback/)
    const rows = frame.locator('[data-testid="preflight-table"] tbody tr')
    expect(await rows.count()).toBe(4)
    const parity = await rows.evaluateAll(trs => trs.map(tr => tr.getAttribute('data-ok')))
    expect(parity).toEqual(['true', 'true', 'true', 'true'])
    // The shipped micro-CLIP, offline, names unseen validation emoji (never trained on) correctly.
    const zeroShot = await rows.nth(2).innerText()
    const [, right, total] = /(\d+)\/(\d+) unseen emoji named right/.exec(zeroShot) ?? []
    expect(Number(total)).toBeGreaterThanOrEqual(MIN_HELD_OUT_SAMPLES)
    expect(right).toBe(total)
    const backends = await w.page.evaluate(() => (window as unknown as { __underTheHood: { backends: Record<string, { backend: string }> } }).__underTheHood.backends)
    expect(backends.preflight?.backend).toBe('wasm')
    expect(['wasm', 'webgl', 'cpu']).toContain(backends['preflight:tfjs']?.backend)
    expect(w.external).toEqual([])
    expect(w.consoleErrors).toEqual([])
    await w.context.close()
  })

  it('shows a clear message for a missing model file, and the deck keeps working', async () => {
    const w = await watchedPage(deck)
    await w.context.route('**/models/micro-clip/onnx/text_model.onnx', r => r.fulfill({ status: 404, body: 'not found' }))
    const frame = await openPreflight(w.page)
    expect(await frame.getAttribute('data-phase')).toBe('error')
    const error = frame.getByTestId('demo-error')
    await expect.poll(() => error.innerText()).toMatch(/not found/i)
    expect(await error.innerText()).toMatch(/models\/micro-clip\/.*reinstall the addon/s)
    expect(w.pageErrors).toEqual([])
    await blur(w.page)
    await w.page.keyboard.press('ArrowRight')
    await expect.poll(async () => (await nav(w.page)).current).toBe(preflightNo + 1)
    await w.page.keyboard.press('ArrowLeft')
    await w.page.keyboard.press('ArrowLeft')
    await expect.poll(async () => (await nav(w.page)).current).toBe(preflightNo - 1)
    expect(await w.page.locator(`[data-slidev-no="${preflightNo - 1}"] h1`).innerText()).toBeTruthy()
    await w.context.close()
  })

  it('shows a clear message for a corrupt model file', async () => {
    const w = await watchedPage(deck)
    await w.context.route('**/models/micro-clip/onnx/text_model.onnx', r => r.fulfill({ status: 200, contentType: 'application/octet-stream', body: Buffer.from('this is not an onnx file'.repeat(40)) }))
    const frame = await openPreflight(w.page)
    expect(await frame.getAttribute('data-phase')).toBe('error')
    expect(await frame.getByTestId('demo-error').innerText()).toMatch(/could not be read/i)
    expect(w.pageErrors).toEqual([])
    await w.context.close()
  })

  it('shows a clear message when the WebAssembly runtime is missing', async () => {
    const w = await watchedPage(deck)
    await w.context.route('**/runtime/ort/*.wasm', r => r.fulfill({ status: 404, body: 'not found' }))
    const frame = await openPreflight(w.page)
    expect(await frame.getAttribute('data-phase')).toBe('error')
    expect(await frame.getByTestId('demo-error').innerText()).toMatch(/WebAssembly runtime|npm install/)
    expect(w.pageErrors).toEqual([])
    await w.context.close()
  })

  it('names a missing model folder typed into the demo, and recovers with the right one', async () => {
    const w = await watchedPage(deck)
    const frame = await openPreflight(w.page)
    const input = frame.getByTestId('preflight-model')
    await input.fill('clip-vit-base-patch32')
    await input.press('Enter')
    await expect.poll(() => frame.getAttribute('data-phase'), { timeout: 30_000 }).toBe('error')
    expect(await frame.getByTestId('demo-error').innerText()).toMatch(/clip-vit-base-patch32/)
    await input.fill('micro-clip')
    await input.press('Enter')
    await expect.poll(() => frame.getAttribute('data-phase'), { timeout: 120_000 }).toBe('ready')
    await w.context.close()
  })
})

describe('demo frame on WebGPU (software adapter)', () => {
  let deck: Deck
  beforeAll(async () => {
    deck = await openDeck({ webgpu: true })
  })
  afterAll(async () => {
    await deck?.close()
  })

  it('passes a software adapter over in auto mode (WASM is faster), and says so', async () => {
    const w = await watchedPage(deck)
    await w.page.goto(`${deck.url}/${preflightNo}`)
    const frame = await settledPreflight(w.page)
    expect(await frame.getAttribute('data-phase')).toBe('ready')
    expect(await frame.getAttribute('data-backend')).toBe('wasm')
    expect(await frame.getByTestId('backend-badge').innerText()).toBe('WASM · software GPU skipped')
    expect(await frame.getByTestId('backend-badge').getAttribute('title')).toMatch(/software WebGPU adapter.*WASM is faster/)
    await w.context.close()
  })

  it('uses the WebGPU adapter when the URL forces it, and gets the same numbers as training', async () => {
    const w = await watchedPage(deck)
    await w.page.goto(`${deck.url}/${preflightNo}?backend=webgpu`)
    const frame = await settledPreflight(w.page)
    expect(await frame.getAttribute('data-phase')).toBe('ready')
    const backends = await w.page.evaluate(() => (window as unknown as { __underTheHood: { backends: Record<string, { backend: string }> } }).__underTheHood.backends)
    expect(backends.preflight?.backend).toBe('webgpu')
    expect(await frame.getByTestId('backend-badge').innerText()).toBe('WebGPU · requested')
    const parity = await frame.locator('[data-testid="preflight-table"] tbody tr').evaluateAll(trs => trs.map(tr => tr.getAttribute('data-ok')))
    expect(parity).toEqual(['true', 'true', 'true', 'true'])
    expect(w.external).toEqual([])
    await w.context.close()
  })

  it('runs on WebAssembly when the URL asks for it, even with an adapter', async () => {
    const w = await watchedPage(deck)
    await w.page.goto(`${deck.url}/${preflightNo}?backend=wasm`)
    const frame = await settledPreflight(w.page)
    expect(await frame.getAttribute('data-phase')).toBe('ready')
    expect(await frame.getAttribute('data-backend')).toBe('wasm')
    expect(await frame.getByTestId('backend-badge').innerText()).toBe('WASM · requested')
    await w.context.close()
  })
})
