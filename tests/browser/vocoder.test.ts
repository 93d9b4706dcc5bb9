/**
 * Hearing a picture in the deck: Griffin–Lim rebuilds the sound from the spectrogram, iteration by
 * iteration, the distance to the picture falls with more iterations, and both sounds play.
 */
import { describe, expect, it } from 'vitest'
import { deckPage, ready } from '../lib/deck'
import { deckSlides } from '../lib/slides'

const slides = await deckSlides()
const no = slides.find(s => s.content.includes('<SpectrogramVocoder'))!.no

describe('hearing a picture (Griffin–Lim)', () => {
  const s = deckPage()

  it('rebuilds the sound: more iterations, closer to the picture; both sounds play', async () => {
    const { page } = s.w
    await page.goto(`${s.deck.url}/${no}`)
    const f = await ready(page, no)
    const voc = f.getByTestId('vocoder')
    const settle = async (n: string) => {
      await f.getByTestId('voc-iterations').selectOption(n)
      await expect.poll(() => voc.getAttribute('data-iterations'), { timeout: 60_000 }).toBe(n)
      await expect.poll(() => voc.getAttribute('data-ready'), { timeout: 60_000 }).toBe('yes')
      return Number(await voc.getAttribute('data-distance'))
    }
    const one = await settle('1')
    const many = await settle('32')
    expect(one).toBeGreaterThan(0.3)
    expect(many).toBeLessThan(one / 2)
    expect(await f.getByTestId('voc-distance').innerText()).toMatch(/\d+ %/)
    const rebuilt = await f.getByTestId('voc-rebuilt').getAttribute('src')
    expect(rebuilt).toMatch(/^data:image\/png/)
    expect(rebuilt).not.toBe(await f.getByTestId('voc-original').getAttribute('src'))
    await f.getByTestId('voc-play-original').click()
    await f.getByTestId('voc-play-rebuilt').click()
    expect(s.w.pageErrors).toEqual([])
  })
})
