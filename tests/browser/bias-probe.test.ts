/**
 * The bias probe in the built deck, offline: micro-CLIP ranks the six variants of 17 profession emoji
 * (served from the emoji package) against captions, and the bars count its picks.
 */
import type { Locator } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { deckPage, ready } from '../lib/deck'
import { deckSlides } from '../lib/slides'
import { FAMILIES, TONES } from '../../packages/slidev-addon-under-the-hood/demos/bias/engine'

const slides = await deckSlides()
const no = slides.find(s => s.content.includes('<BiasProbe'))!.no
const counts = async (probe: Locator) => (await probe.getAttribute('data-counts'))!.split(',').map(Number)

describe('bias probe', () => {
  const page = deckPage()

  it('counts one pick per profession, can leave the default out, and probes a typed caption', async () => {
    const { deck, w } = page
    const images: string[] = []
    w.page.on('response', (r) => { if (r.url().includes('/images/emoji-tones/')) images.push(`${r.status()} ${r.url()}`) })
    await w.page.goto(`${deck.url}/${no}`)
    const frame = await ready(w.page, no)
    const probe = frame.getByTestId('bias-probe')
    await expect.poll(async () => (await probe.getAttribute('data-counts')) ?? '').not.toBe('')
    expect(images).toHaveLength(FAMILIES.length * TONES.length)
    expect(images.every(r => r.startsWith('200 '))).toBe(true)
    const all = await counts(probe)
    expect(all.reduce((a, b) => a + b, 0)).toBe(FAMILIES.length)
    expect(await probe.locator('tbody tr th').allInnerTexts()).toEqual(FAMILIES.map(f => f.name))
    // every row's percentages add up to about 100
    const row = (await probe.locator('tbody tr').first().locator('.bp__p').allInnerTexts()).map(Number)
    expect(Math.abs(row.reduce((a, b) => a + b, 0) - 100)).toBeLessThanOrEqual(3)

    await frame.getByTestId('bias-default').uncheck()
    await expect.poll(async () => (await counts(probe))[0]).toBe(0)
    expect((await counts(probe)).reduce((a, b) => a + b, 0)).toBe(FAMILIES.length)

    await frame.getByTestId('bias-caption').fill('a person')
    await expect.poll(async () => new Set(await probe.locator('tbody tr th').allInnerTexts())).toEqual(new Set(['a person']))
    expect((await counts(probe)).reduce((a, b) => a + b, 0)).toBe(FAMILIES.length)
    await frame.getByTestId('bias-caption').fill('x'.repeat(500))
    await expect.poll(() => frame.getByTestId('bias-note').innerText()).toMatch(/cut to 120/)
    await frame.getByTestId('bias-caption').fill('')
    await expect.poll(async () => (await probe.locator('tbody tr th').allInnerTexts())[0]).toBe(FAMILIES[0]!.name)
    expect(w.external).toEqual([])
    expect(w.pageErrors).toEqual([])
  })
})
