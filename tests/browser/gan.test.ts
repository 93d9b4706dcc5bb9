/**
 * The 2-D GAN in the deck: it trains (losses and generated points change), steps D and G one at a time,
 * shows mode collapse in its other setting, and learns a distribution drawn by hand.
 */
import type { Locator } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { deckPage, ready } from '../lib/deck'
import { deckSlides } from '../lib/slides'

const slides = await deckSlides()
const ganNo = slides.find(s => s.content.includes('<TinyGan'))!.no

const updates = async (f: Locator) => Number(await f.getByTestId('tiny-gan').getAttribute('data-updates'))
const fakes = (f: Locator) => f.locator('[data-testid="gan-plot"] circle[fill="#e8590c"]')
  .evaluateAll(cs => cs.map(c => `${c.getAttribute('cx')},${c.getAttribute('cy')}`).join(' '))

describe('a GAN learning live', () => {
  const s = deckPage()

  it('trains: the losses and the generated points change; D and G step one at a time', async () => {
    const { page } = s.w
    await page.goto(`${s.deck.url}/${ganNo}`)
    const f = await ready(page, ganNo)
    await expect.poll(() => fakes(f)).toMatch(/\d/)
    const before = await fakes(f)
    expect(before.split(' ')).toHaveLength(300)
    await f.getByTestId('gan-play').click()
    await expect.poll(() => updates(f), { timeout: 60_000 }).toBeGreaterThan(300)
    await f.getByTestId('gan-pause').click()
    const at = await updates(f)
    const gan = f.getByTestId('tiny-gan')
    const d = Number(await gan.getAttribute('data-d-loss'))
    const g = Number(await gan.getAttribute('data-g-loss'))
    expect(Number.isFinite(d) && Number.isFinite(g)).toBe(true)
    expect(await fakes(f)).not.toBe(before)
    expect(await f.getByTestId('gan-covered').innerText()).toMatch(/^\d of 8$/)

    const paused = await fakes(f)
    await f.getByTestId('gan-step-d').click()
    await expect.poll(() => updates(f)).toBe(at + 1)
    expect(await fakes(f)).toBe(paused) // D moved, G did not
    await f.getByTestId('gan-step-g').click()
    await expect.poll(() => updates(f)).toBe(at + 2)
    expect(await fakes(f)).not.toBe(paused)
    expect(s.w.pageErrors).toEqual([])
  })

  it('learns points drawn by hand, once there are at least two', async () => {
    const { page } = s.w
    const f = await ready(page, ganNo)
    await f.getByTestId('gan-distribution').selectOption('drawn')
    await expect.poll(() => f.getByTestId('gan-message').innerText()).toMatch(/at least 2/)
    expect(await f.getByTestId('gan-play').isDisabled()).toBe(true)
    const plot = f.getByTestId('gan-plot')
    for (const [x, y] of [[60, 60], [240, 240], [60, 240]] as const)
      await plot.click({ position: { x, y } })
    await expect.poll(() => f.locator('[data-testid="gan-plot"] circle[fill="#495057"]').count()).toBe(3)
    await f.getByTestId('gan-play').click()
    await expect.poll(() => updates(f), { timeout: 60_000 }).toBeGreaterThan(100)
    await f.getByTestId('gan-pause').click()
    expect(s.w.pageErrors).toEqual([])
  })
})
