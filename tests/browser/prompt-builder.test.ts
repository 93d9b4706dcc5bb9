/**
 * The prompt builder in the deck: the contact sheet shows the whole prompt and, with the same seed, the
 * prompt without each part; changing one part changes only the images whose prompt contains it; an
 * unknown word is flagged with the nearest known words.
 */
import type { Locator } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { deckPage, ready } from '../lib/deck'
import { deckSlides } from '../lib/slides'

const slides = await deckSlides()
const no = slides.find(s => s.content.includes('<PromptBuilder'))!.no

const sheet = async (f: Locator) => Object.fromEntries(await f.locator('[data-testid^="pb-image-"]').evaluateAll(els =>
  els.map(e => [e.getAttribute('data-testid')!.slice('pb-image-'.length), e.getAttribute('src')!])))
const settled = async (f: Locator, keys: number) => {
  await expect.poll(async () => Object.keys(await sheet(f)).length, { timeout: 120_000 }).toBe(keys)
  await expect.poll(() => f.getByTestId('prompt-builder').getAttribute('data-busy'), { timeout: 120_000 }).toBe('no')
}

describe('prompt builder', () => {
  const s = deckPage()

  it('changes only the images whose prompt contains the changed part; flags unknown words', async () => {
    const { page } = s.w
    await page.goto(`${s.deck.url}/${no}?backend=wasm`)
    const f = await ready(page, no)
    // whole prompt + subject, style, lighting, camera left out in turn
    await settled(f, 5)
    const before = await sheet(f)
    expect(new Set(Object.values(before)).size).toBeGreaterThan(1)
    expect(await f.getByTestId('pb-shift-style').innerText()).toMatch(/moves it \d\.\d\d/)

    expect(await f.getByTestId('pb-unknown').count()).toBe(0) // the default prompt's words are all known
    await f.getByTestId('pb-style').fill('watercolor')
    await expect.poll(async () => (await f.getByTestId('pb-unknown').allInnerTexts()).join('\n'), { timeout: 60_000 }).toMatch(/watercolor is not a word.*Nearest words it knows: \w+/s)
    await expect.poll(async () => (await sheet(f)).full, { timeout: 120_000 }).not.toBe(before.full)
    await settled(f, 5)
    const after = await sheet(f)
    // the image without the style does not contain the changed part: it stays exactly the same
    expect(after.style).toBe(before.style)
    for (const k of ['subject', 'lighting', 'camera'])
      expect(after[k], k).not.toBe(before[k])

    // a negative prompt: every image steers away from it; one more image shows the prompt without it
    await f.getByTestId('pb-negative').fill('green')
    await settled(f, 6)
    const negative = await sheet(f)
    expect(negative.negative).toBe(after.full)
    expect(negative.full).not.toBe(after.full)

    // "cinematic" vs "beautiful", measured on our model; a prompt longer than the encoder reads says so
    expect(Number(await f.getByTestId('pb-cinematic').innerText())).toBeGreaterThanOrEqual(0)
    expect(Number(await f.getByTestId('pb-beautiful').innerText())).toBeGreaterThanOrEqual(0)
    expect(await f.getByTestId('pb-limit').count()).toBe(0)
    await f.getByTestId('pb-action').fill('very '.repeat(24).trim())
    await expect.poll(() => f.getByTestId('pb-limit').innerText(), { timeout: 60_000 }).toMatch(/reads the first 30 word pieces/)
    expect(s.w.pageErrors).toEqual([])
  })
})
