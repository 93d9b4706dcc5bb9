/**
 * The tiny network trained live with TensorFlow.js in the built deck, offline: training lowers the loss
 * and bends the boundary, clicks add points that it then learns, and the backend badge says where it ran.
 */
import type { Locator } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { animationFrames, deckPage, nav, ready } from '../lib/deck'
import { deckSlides } from '../lib/slides'

const slides = await deckSlides()
const no = slides.find(s => s.content.includes('<TinyNetwork'))!.no
const overfitNo = slides.find(s => s.content.includes('<TinyNetwork :size="10"'))!.no

const num = async (l: Locator, attr: string) => Number(await l.getAttribute(attr))

describe('tiny network, trained live', () => {
  const page = deckPage()

  it('trains: the loss falls, the points end up on the right side, and Pause stops it', async () => {
    const { deck, w } = page
    await w.page.goto(`${deck.url}/${no}`)
    const frame = await ready(w.page, no)
    expect(await frame.getByTestId('backend-badge').innerText()).toMatch(/WASM|WebGL|CPU|WebGPU/i)
    const tn = frame.getByTestId('tiny-network')
    const plot = frame.getByTestId('tiny-plot')
    const before = await plot.locator('image').getAttribute('href')
    await frame.getByTestId('tiny-step').click()
    await expect.poll(() => num(tn, 'data-steps')).toBe(10)
    const firstLoss = await num(tn, 'data-loss')
    await frame.getByTestId('tiny-train').click()
    await expect.poll(() => num(tn, 'data-accuracy'), { timeout: 60_000 }).toBeGreaterThanOrEqual(0.95)
    expect(await num(tn, 'data-loss')).toBeLessThan(firstLoss / 3)
    expect(await plot.locator('image').getAttribute('href')).not.toBe(before)
    await frame.getByTestId('tiny-pause').click()
    const stopped = await num(tn, 'data-steps')
    await animationFrames(w.page, 20)
    expect(await num(tn, 'data-steps')).toBe(stopped)
    expect((await nav(w.page)).current).toBe(no)
  })

  it('adds clicked points, learns them, and resets to a fresh network', async () => {
    const { w } = page
    const frame = w.page.locator(`[data-slidev-no="${no}"] .demo-frame`)
    const tn = frame.getByTestId('tiny-network')
    const plot = frame.getByTestId('tiny-plot')
    const n = await num(plot, 'data-points')
    // three blue points deep in the orange region (bottom right of the moons)
    await frame.getByTestId('tiny-add-blue').click()
    const box = (await plot.boundingBox())!
    for (const [fx, fy] of [[0.78, 0.72], [0.8, 0.75], [0.76, 0.76]])
      await plot.click({ position: { x: box.width * fx!, y: box.height * fy! } })
    expect(await num(plot, 'data-points')).toBe(n + 3)
    await expect.poll(() => num(tn, 'data-accuracy')).toBeLessThan(1)
    await frame.getByTestId('tiny-train').click()
    await expect.poll(() => num(tn, 'data-accuracy'), { timeout: 60_000 }).toBe(1)
    await frame.getByTestId('tiny-pause').click()

    await frame.getByTestId('tiny-dataset').selectOption('circles')
    await expect.poll(() => num(tn, 'data-steps')).toBe(0)
    expect(await num(plot, 'data-points')).toBe(120)
    await frame.getByTestId('tiny-hidden').selectOption('1')
    await frame.getByTestId('tiny-train').click()
    await expect.poll(() => num(tn, 'data-steps'), { timeout: 60_000 }).toBeGreaterThan(400)
    await frame.getByTestId('tiny-pause').click()
    // one hidden unit draws one straight line: it cannot enclose the inner circle
    expect(await num(tn, 'data-accuracy')).toBeLessThan(0.8)
    expect(w.external).toEqual([])
    expect(w.pageErrors).toEqual([])
  })

  it('overfits with few noisy points and many units, and stops overfitting with more data', async () => {
    const { deck, w } = page
    await w.page.goto(`${deck.url}/${overfitNo}`)
    const frame = await ready(w.page, overfitNo)
    const tn = frame.getByTestId('tiny-network')
    expect(await frame.locator('[data-testid="tiny-plot"] circle[data-validation]').count()).toBe(200)
    expect(await frame.getByTestId('tiny-size').inputValue()).toBe('10')
    await frame.getByTestId('tiny-skip').click()
    await frame.getByTestId('tiny-skip').click()
    await expect.poll(() => num(tn, 'data-steps'), { timeout: 60_000 }).toBe(1000)
    expect(await num(tn, 'data-loss')).toBeLessThan(0.05)
    expect(await num(tn, 'data-val-loss')).toBeGreaterThan(await num(tn, 'data-loss') + 0.5)
    expect(await frame.getByTestId('tiny-overfit').innerText()).toMatch(/lowest at step \d+/)

    await frame.getByTestId('tiny-size').selectOption('150')
    await frame.getByTestId('tiny-hidden').selectOption('4')
    await frame.getByTestId('tiny-noise').selectOption('0')
    await expect.poll(() => num(tn, 'data-steps')).toBe(0)
    await frame.getByTestId('tiny-skip').click()
    await expect.poll(() => num(tn, 'data-steps'), { timeout: 60_000 }).toBe(500)
    expect(await frame.getByTestId('tiny-overfit').count()).toBe(0)
    expect(Math.abs(await num(tn, 'data-val-loss') - await num(tn, 'data-loss'))).toBeLessThan(0.1)
    expect(w.pageErrors).toEqual([])
  })
})
