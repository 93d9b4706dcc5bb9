/**
 * A clip from the image model in the deck: both clips are made, and the shared-noise one changes less from
 * frame to frame than the independent one; the video model's clip (all frames denoised together, from the
 * starting noise its config shares between frames) is made beside them and changes less than the
 * independent frames too.
 */
import { describe, expect, it } from 'vitest'
import { deckPage, ready } from '../lib/deck'
import { deckSlides } from '../lib/slides'

const slides = await deckSlides()
const no = slides.find(s => s.content.includes('<FrameFlicker'))!.no

describe('a clip from an image model', () => {
  const s = deckPage()

  it('flickers frame by frame, less when the frames share a drifting noise, and shows the video model\'s clip beside them', async () => {
    const { page } = s.w
    await page.goto(`${s.deck.url}/${no}?backend=wasm`)
    const f = await ready(page, no)
    const fl = f.getByTestId('flicker')
    await expect.poll(() => fl.getAttribute('data-key'), { timeout: 90_000 }).toBe('rocket|3')
    const own = Number(await fl.getAttribute('data-own'))
    const shared = Number(await fl.getAttribute('data-shared'))
    expect(own).toBeGreaterThan(0)
    expect(shared).toBeLessThan(own / 2)
    const frames = await f.getByTestId('flicker-own').locator('img').evaluateAll(ims => ims.map(i => (i as HTMLImageElement).src))
    expect(new Set(frames).size).toBe(8)
    // the video model's clip is made beside them, and flickers less than frames made one by one
    expect(await f.getByTestId('flicker-video').getAttribute('data-count')).toBe('8')
    const videoChange = Number(await fl.getAttribute('data-video'))
    expect(videoChange).toBeGreaterThan(0)
    expect(videoChange).toBeLessThan(own / 2)
    const video = await f.getByTestId('flicker-video').locator('img').evaluateAll(ims => ims.map(i => (i as HTMLImageElement).src))
    expect(video.filter(v => !frames.includes(v))).toHaveLength(8)
    await f.getByTestId('flicker-prompt').fill('')
    await expect.poll(() => fl.getAttribute('data-key'), { timeout: 90_000 }).toBe('|3')
    expect(s.w.pageErrors).toEqual([])
  })
})
