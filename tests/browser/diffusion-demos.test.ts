/** Diffusion demos in the built deck, offline. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cosineSchedule, linearSchedule } from '../../demos/diffusion/schedule'
import type { Deck } from '../lib/deck'
import { nav, openDeck, watchedPage } from '../lib/deck'
import { deckSlides } from '../lib/slides'

const slides = await deckSlides()
const forwardNo = slides.find(s => s.content.includes('<ForwardDiffusion'))!.no

describe('forward diffusion demo', () => {
  let deck: Deck
  beforeAll(async () => {
    deck = await openDeck()
  })
  afterAll(async () => {
    await deck?.close()
  })

  it('scrubs t: the image changes and the shown ᾱ_t is the schedule\'s', async () => {
    const w = await watchedPage(deck)
    await w.page.goto(`${deck.url}/${forwardNo}`)
    const frame = w.page.locator(`[data-slidev-no="${forwardNo}"] .demo-frame`)
    await expect.poll(() => frame.getAttribute('data-phase'), { timeout: 30_000 }).toBe('ready')
    const pixels = () => frame.getByTestId('forward-canvas-linear').evaluate((c: HTMLCanvasElement) =>
      Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data.slice(0, 4000)).join(','))
    await expect.poll(pixels).not.toMatch(/^(0,)+/)
    const clean = await pixels()
    const lin = linearSchedule()
    const cos = cosineSchedule()
    for (const t of [250, 500, 1000]) {
      await frame.getByTestId('forward-t').fill(String(t))
      await expect.poll(() => frame.getByTestId('forward-step').innerText()).toBe(String(t))
      expect(Number(await frame.getByTestId('forward-alphabar-linear').getAttribute('data-value'))).toBeCloseTo(lin.alphaBar[t]!, 12)
      expect(Number(await frame.getByTestId('forward-alphabar-cosine').getAttribute('data-value'))).toBeCloseTo(cos.alphaBar[t]!, 12)
    }
    await expect.poll(pixels).not.toBe(clean)
    await frame.getByTestId('forward-t').fill('0')
    await expect.poll(pixels).toBe(clean)

    // Arrow keys on the slider and on the image menu adjust the demo, not the slide.
    await frame.getByTestId('forward-t').focus()
    await w.page.keyboard.press('ArrowRight')
    await frame.getByTestId('forward-image').focus()
    await w.page.keyboard.press('ArrowRight')
    await w.page.keyboard.press('ArrowDown')
    await w.page.waitForTimeout(300)
    expect((await nav(w.page)).current).toBe(forwardNo)
    expect(w.external).toEqual([])
    expect(w.pageErrors).toEqual([])
    expect(w.consoleErrors).toEqual([])
    await w.context.close()
  })
})
