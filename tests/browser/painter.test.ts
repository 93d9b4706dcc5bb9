/**
 * Draw and hear in the deck: a stroke drawn with the mouse becomes sound with its energy at the stroke's
 * frequency (the samples the AudioContext receives, measured here with our STFT), and clearing empties
 * the picture.
 */
import { describe, expect, it } from 'vitest'
import { deckPage, ready } from '../lib/deck'
import { deckSlides } from '../lib/slides'
import { played, recordPlayed } from '../lib/sound'
import { peakHz, stft } from '../../packages/slidev-addon-under-the-hood/demos/spectrogram/engine'
import { CANVAS } from '../../packages/slidev-addon-under-the-hood/demos/vocoder/paint'

const slides = await deckSlides()
const no = slides.find(s => s.content.includes('<SpectrogramPainter'))!.no

describe('draw a sound', () => {
  const s = deckPage()

  it('a drawn line plays as a tone at its height', async () => {
    const { page } = s.w
    await recordPlayed(page)
    await page.goto(`${s.deck.url}/${no}`)
    const f = await ready(page, no)
    const painter = f.getByTestId('painter')
    await expect.poll(() => painter.getAttribute('data-ready'), { timeout: 60_000 }).toBe('yes')
    await f.getByTestId('paint-clear').click()
    await expect.poll(() => painter.getAttribute('data-strokes')).toBe('0')
    expect(await f.getByTestId('paint-play').isDisabled()).toBe(true)

    const area = f.getByTestId('paint-area')
    const box = (await area.boundingBox())!
    const hz = 1500
    const y = box.y + (1 - hz / CANVAS.maxHz) * box.height
    await page.mouse.move(box.x + box.width * 0.2, y)
    await page.mouse.down()
    for (let k = 1; k <= 10; k++) await page.mouse.move(box.x + box.width * (0.2 + 0.06 * k), y)
    await page.mouse.up()
    await expect.poll(() => painter.getAttribute('data-strokes')).toBe('1')
    await expect.poll(() => painter.getAttribute('data-ready'), { timeout: 60_000 }).toBe('yes')
    await f.getByTestId('paint-play').click()
    await expect.poll(async () => (await played(page)).length).toBe(1)
    const heard = Float32Array.from((await played(page))[0]!)
    expect(Math.max(...heard.map(Math.abs))).toBeLessThanOrEqual(1)
    const spec = stft(heard, CANVAS.sampleRate, CANVAS.size, CANVAS.hop)
    const mid = spec.frames.slice(Math.round(spec.frames.length * 0.4), Math.round(spec.frames.length * 0.6))
    // the drawn height, within the pixel the mouse could hit (maxHz / height) and one FFT bin
    const tolerance = CANVAS.maxHz / box.height + spec.binHz
    for (const frame of mid) expect(Math.abs(peakHz(frame, spec.binHz) - hz)).toBeLessThanOrEqual(tolerance)
    expect(s.w.pageErrors).toEqual([])
  })
})
