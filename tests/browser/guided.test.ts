/**
 * CLIP-guided generation in the deck: gradient steps through the tfjs decoder and CLIP raise the
 * similarity to the prompt, the picture changes, and diffusion's picture for the same prompt appears.
 */
import { describe, expect, it } from 'vitest'
import { deckPage, ready } from '../lib/deck'
import { deckSlides } from '../lib/slides'

const slides = await deckSlides()
const no = slides.find(s => s.content.includes('<GuidedGeneration'))!.no

describe('CLIP-guided generation', () => {
  const s = deckPage()

  it('raises the similarity step by step and shows diffusion\'s picture beside it', async () => {
    const { page } = s.w
    await page.goto(`${s.deck.url}/${no}?backend=wasm`)
    const f = await ready(page, no)
    const g = f.getByTestId('guided')
    await f.getByTestId('guided-iterations').fill('15')
    await f.getByTestId('guided-generate').click()
    await expect.poll(() => g.getAttribute('data-iterations'), { timeout: 120_000 }).toBe('1')
    const first = Number(await g.getAttribute('data-similarity'))
    const firstPicture = await f.getByTestId('guided-image').getAttribute('src')
    await expect.poll(() => g.getAttribute('data-iterations'), { timeout: 120_000 }).toBe('15')
    await expect.poll(() => g.getAttribute('data-running'), { timeout: 120_000 }).toBe('no')
    expect(Number(await g.getAttribute('data-similarity'))).toBeGreaterThan(first)
    expect(await f.getByTestId('guided-image').getAttribute('src')).not.toBe(firstPicture)
    expect(await f.getByTestId('guided-diffusion').getAttribute('src')).toMatch(/^data:image\/png/)
    expect(s.w.pageErrors).toEqual([])
  })
})
