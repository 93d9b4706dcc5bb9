/**
 * The 2-D GAN in the deck: it trains (losses and generated points change), steps D and G one at a time,
 * shows mode collapse in its other setting, and learns a distribution drawn by hand. The image GAN:
 * scrubbing its training changes the faces, playing it reaches the trained generator, and a latent walk
 * starts on the grid's own picture for its seed.
 */
import type { Locator } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { deckPage, ready } from '../lib/deck'
import { deckSlides } from '../lib/slides'

const slides = await deckSlides()
const ganNo = slides.find(s => s.content.includes('<TinyGan'))!.no
const imageGanNo = slides.find(s => s.content.includes('<ImageGan'))!.no
const srcs = (l: Locator) => l.locator('img').evaluateAll(ims => ims.map(i => (i as HTMLImageElement).src))

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

describe('an image GAN scrubbed through its training', () => {
  const s = deckPage()

  it('draws different faces per seed when trained, others when scrubbed back, and replays training to the end', async () => {
    const { page } = s.w
    await page.goto(`${s.deck.url}/${imageGanNo}?backend=wasm`)
    const f = await ready(page, imageGanNo)
    const grid = f.getByTestId('gan-image-grid')
    const scrub = f.getByTestId('gan-image-scrub')
    const last = Number(await scrub.getAttribute('max'))
    expect(last).toBeGreaterThanOrEqual(6)
    await expect.poll(() => grid.getAttribute('data-index')).toBe(String(last))
    const trained = await srcs(grid)
    expect(trained).toHaveLength(8)
    expect(new Set(trained).size).toBe(8)

    await scrub.fill('0')
    await expect.poll(() => grid.getAttribute('data-index')).toBe('0')
    const untrained = await srcs(grid)
    expect(untrained.filter(x => trained.includes(x))).toEqual([])
    expect(await f.getByTestId('gan-image-step').innerText()).toMatch(/^step 0 of [\d,]+/)

    await f.getByTestId('gan-image-play').click()
    await expect.poll(() => grid.getAttribute('data-index'), { timeout: 60_000 }).toBe(String(last))
    expect(await srcs(grid)).toEqual(trained)
    expect(s.w.external).toEqual([])
  })

  it('walks from one seed to another through the trained generator, starting on the grid\'s picture for that seed', async () => {
    const { page } = s.w
    const f = await ready(page, imageGanNo)
    const walk = f.getByTestId('gan-image-walk')
    await expect.poll(() => walk.getAttribute('data-count')).toBe('8')
    const grid = await srcs(f.getByTestId('gan-image-grid'))
    const before = await srcs(walk)
    expect(before[0]).toBe(grid[3]) // seed 4 through the same generator
    expect(before[7]).toBe(grid[6]) // seed 7
    await f.getByTestId('gan-image-to').fill('2')
    await expect.poll(async () => (await srcs(walk))[7]).toBe(grid[1])
    expect((await srcs(walk))[0]).toBe(before[0])
    expect(Number(await f.getByTestId('gan-image-ms').innerText().then(t => /([\d.]+) ms/.exec(t)?.[1]))).toBeGreaterThan(0)
  })
})
