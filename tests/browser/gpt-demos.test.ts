/**
 * The micro-GPT demos in the built deck, offline: the model loads through the shared runtime and the
 * views show what the engine computes.
 */
import type { Locator } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { blur, deckPage, nav, ready } from '../lib/deck'
import { deckSlides } from '../lib/slides'

const slides = await deckSlides()
const heatmapNo = slides.find(s => s.content.includes('<AttentionHeatmap'))!.no
const nextWordNo = slides.find(s => s.content.includes('<NextWordPredictor'))!.no

/** Attention weights as drawn: rows of data-w values. */
async function grid(frame: Locator): Promise<number[][]> {
  return frame.locator('[data-testid="attention-grid"] g[data-row]').evaluateAll(rows =>
    rows.map(r => [...r.querySelectorAll('rect')].map(c => Number(c.getAttribute('data-w')))))
}

describe('micro-GPT demos', () => {
  const page = deckPage()

  it('draws causal attention whose rows sum to 1, per layer and head', async () => {
    const { deck, w } = page
    await w.page.goto(`${deck.url}/${heatmapNo}`)
    const frame = await ready(w.page, heatmapNo)
    const m = await grid(frame)
    expect(m.length).toBe(11) // the prince / king sentence, lower-cased and split at punctuation
    m.forEach((row, i) => {
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 2)
      row.slice(i + 1).forEach(v => expect(v).toBeLessThan(1e-4))
    })
    await frame.getByTestId('attention-layer').selectOption('2')
    await frame.getByTestId('attention-head').selectOption('3')
    await expect.poll(async () => JSON.stringify(await grid(frame))).not.toBe(JSON.stringify(m))
    expect(await frame.getByTestId('attention-focus').innerText()).toMatch(/he\s+looks at/)
  })

  it('re-reads a typed sentence, and explains empty and over-long input', async () => {
    const { w } = page
    const frame = w.page.locator(`[data-slidev-no="${heatmapNo}"] .demo-frame`)
    const input = frame.getByTestId('attention-text')
    await input.fill('Call me Ishmael.')
    await expect.poll(async () => (await grid(frame)).length).toBe(4)
    await input.fill('   ')
    await expect.poll(() => frame.getByTestId('attention-message').innerText()).toMatch(/Type a sentence/)
    await input.fill('the sea and the whale '.repeat(5000)) // 110,000 characters
    await expect.poll(() => frame.getByTestId('attention-message').innerText(), { timeout: 10_000 }).toMatch(/last 64 tokens/)
    expect((await grid(frame)).length).toBe(64)
    await blur(w.page)
    await w.page.keyboard.press('ArrowRight')
    await expect.poll(async () => (await nav(w.page)).current).toBe(heatmapNo + 1)
    expect(w.external).toEqual([])
    expect(w.pageErrors).toEqual([])
  })

  it('lists the most likely next words, adds a chosen one, and samples reproducibly', async () => {
    const { deck, w } = page
    await w.page.goto(`${deck.url}/${nextWordNo}`)
    const frame = await ready(w.page, nextWordNo)
    const bars = frame.locator('[data-testid="next-word-bars"] li')
    await expect.poll(() => bars.count()).toBe(8)
    const ps = await frame.locator('.nwp__p').evaluateAll(els => els.map(e => Number(e.getAttribute('data-p'))))
    expect([...ps].sort((a, b) => b - a)).toEqual(ps)
    expect(ps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1.000001)

    const text = frame.getByTestId('next-word-text')
    const before = await text.inputValue()
    await bars.first().locator('button').click()
    await expect.poll(() => text.inputValue()).not.toBe(before)
    expect((await text.inputValue()).startsWith(before.trim())).toBe(true)

    // Temperature reshapes the distribution.
    await text.fill('The whale')
    await expect.poll(async () => (await frame.locator('.nwp__p').first().getAttribute('data-p'))).toBeTruthy()
    const p1 = Number(await frame.locator('.nwp__p').first().getAttribute('data-p'))
    await frame.getByTestId('next-word-temperature').fill('0.3')
    await expect.poll(async () => Number(await frame.locator('.nwp__p').first().getAttribute('data-p'))).toBeGreaterThan(p1)

    // Same seed, same words.
    const sampled: string[] = []
    for (let run = 0; run < 2; run++) {
      await text.fill('The whale')
      // Changing the seed restarts the random sequence: set another value first, then 7.
      await frame.getByTestId('next-word-seed').fill('0')
      await frame.getByTestId('next-word-seed').fill('7')
      for (let k = 0; k < 3; k++) {
        const t = await text.inputValue()
        await frame.getByTestId('next-word-sample').click()
        await expect.poll(() => text.inputValue()).not.toBe(t)
        // the prediction for the longer text has arrived
        await expect.poll(async () => await frame.getByTestId('next-word-bars').getAttribute('data-for') === await text.inputValue()).toBe(true)
      }
      sampled.push(await text.inputValue())
    }
    expect(sampled[0]).toBe(sampled[1])
    expect(sampled[0]!.length).toBeGreaterThan('The whale'.length)

    await text.fill('')
    await expect.poll(() => frame.getByTestId('next-word-message').innerText()).toMatch(/at least one word/)
    expect(w.external).toEqual([])
    expect(w.pageErrors).toEqual([])
    expect(w.consoleErrors).toEqual([])
  })
})
