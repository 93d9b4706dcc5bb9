/** The scale of video in the deck: the talk's example, another preset, a 10-minute clip, and typed nonsense refused without losing the numbers. */
import { describe, expect, it } from 'vitest'
import { deckPage, ready } from '../lib/deck'
import { deckSlides } from '../lib/slides'

const slides = await deckSlides()
const no = slides.find(s => s.content.includes('<VideoScale'))!.no

describe('how big is a video', () => {
  const s = deckPage()

  it('counts the talk\'s example, switches presets, takes 10 minutes, and refuses a width that is not a number', async () => {
    const { page } = s.w
    await page.goto(`${s.deck.url}/${no}`)
    const f = await ready(page, no)
    const scale = f.getByTestId('video-scale')
    expect(await scale.getAttribute('data-values')).toBe('1492992000')
    expect(await f.getByTestId('scale-row-values').innerText()).toMatch(/1\.49 billion/)
    await f.getByTestId('scale-micro').click()
    await expect.poll(() => scale.getAttribute('data-pairs')).toBe('4096')
    await f.getByTestId('scale-fullhd').click()
    await f.getByTestId('scale-seconds').fill('600')
    await expect.poll(() => scale.getAttribute('data-values')).toBe(String(1492992000 * 60))
    await f.getByTestId('scale-width').fill('wide')
    await expect.poll(() => f.getByTestId('scale-error').innerText()).toMatch(/Width must be a number/)
    expect(await scale.getAttribute('data-values')).toBe(String(1492992000 * 60))
    await f.getByTestId('scale-width').fill('1920')
    await expect.poll(() => f.getByTestId('scale-error').count()).toBe(0)
    expect(s.w.pageErrors).toEqual([])
  })
})
