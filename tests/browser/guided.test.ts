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
    await expect.poll(() => g.getAttribute('data-iterations'), { timeout: 120_000 }).toBe('15')
    await expect.poll(() => g.getAttribute('data-running'), { timeout: 120_000 }).toBe('no')
    // the similarity of the starting picture, before any step, against the one after 15 steps
    expect(Number(await g.getAttribute('data-similarity'))).toBeGreaterThan(Number(await g.getAttribute('data-start-similarity')) + 0.05)
    const picture = await f.getByTestId('guided-image').getAttribute('src')
    await f.getByTestId('guided-iterations').fill('1')
    await f.getByTestId('guided-generate').click()
    await expect.poll(() => g.getAttribute('data-iterations'), { timeout: 120_000 }).toBe('1')
    await expect.poll(() => g.getAttribute('data-running'), { timeout: 120_000 }).toBe('no')
    expect(await f.getByTestId('guided-image').getAttribute('src')).not.toBe(picture) // 1 step is not 15
    expect(await f.getByTestId('guided-diffusion').getAttribute('src')).toMatch(/^data:image\/png/)
    expect(s.w.pageErrors).toEqual([])
  })

  it('cuts a 2,000-character prompt as the encoder does, and says so', async () => {
    const { page } = s.w
    const f = await ready(page, no)
    await f.getByTestId('guided-iterations').fill('1')
    await f.getByTestId('guided-prompt').fill('red apple '.repeat(200))
    await f.getByTestId('guided-generate').click()
    await expect.poll(() => f.getByTestId('guided-note').first().innerText(), { timeout: 60_000 }).toMatch(/2,000 characters; the first 1000 are used/)
    await expect.poll(() => f.getByTestId('guided').getAttribute('data-running'), { timeout: 120_000 }).toBe('no')
    expect(s.w.pageErrors).toEqual([])
  })
})
