/**
 * LoRA in the deck: with the trigger word at strength 1 the picture moves towards the subject's own art
 * (measured here in pixels, against the adapter's subject.png, not by any model); at strength 0 it is the
 * base model's picture exactly; a damaged adapter gets a clear message while the base and the other
 * adapter keep working.
 */
import type { Locator, Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { deckPage, ready, watchedPage } from '../lib/deck'
import { deckSlides } from '../lib/slides'

const slides = await deckSlides()
const loraNo = slides.find(s => s.content.includes('<LoraAdapter'))!.no

/** The pixels of an <img> at its natural size, RGB in 0…1. */
async function pixels(page: Page, img: Locator): Promise<number[]> {
  const src = await img.getAttribute('src')
  return page.evaluate(async (url) => {
    const im = new Image()
    im.src = url!
    await im.decode()
    const c = document.createElement('canvas')
    c.width = im.naturalWidth
    c.height = im.naturalHeight
    const g = c.getContext('2d')!
    g.drawImage(im, 0, 0)
    const d = g.getImageData(0, 0, c.width, c.height).data
    const out: number[] = []
    for (let y = 0; y < c.height; y++) for (let x = 0; x < c.width; x++) for (let k = 0; k < 3; k++) out.push(d[(y * c.width + x) * 4 + k]! / 255)
    return out
  }, src)
}

/** Pixel RMS from a 32×32 picture to the nearer of the subject's two pictures (subject.png is 64×32). */
function toSubject(img: number[], subject: number[]): number {
  let best = Infinity
  for (const off of [0, 32]) {
    let s = 0
    for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) for (let k = 0; k < 3; k++) {
      const d = img[(y * 32 + x) * 3 + k]! - subject[(y * 64 + x + off) * 3 + k]!
      s += d * d
    }
    best = Math.min(best, Math.sqrt(s / (32 * 32 * 3)))
  }
  return best
}

async function drawnAt(f: Locator, strength: string): Promise<void> {
  await f.getByTestId('lora-strength').fill(strength)
  await expect.poll(() => f.getByTestId('lora-image').getAttribute('data-key'), { timeout: 60_000 }).toMatch(new RegExp(`\\|${strength}\\|`))
}

describe('LoRA on micro-diffusion', () => {
  const s = deckPage()

  it('draws the subject with the trigger at strength 1, and the base exactly at strength 0', async () => {
    const { page } = s.w
    await page.goto(`${s.deck.url}/${loraNo}?backend=wasm`)
    const f = await ready(page, loraNo)
    await expect.poll(() => f.getByTestId('lora-heatmaps').getAttribute('data-rank')).toMatch(/^\d+$/)
    const subject = await pixels(page, f.locator('img.lo__pix'))
    expect(subject).toHaveLength(64 * 32 * 3)
    await drawnAt(f, '1')
    const base = await pixels(page, f.getByTestId('lora-base'))
    const withLora = await pixels(page, f.getByTestId('lora-image'))
    expect(await f.getByTestId('lora-image').getAttribute('data-same')).toBe('false')
    const dBase = toSubject(base, subject)
    const dLora = toSubject(withLora, subject)
    expect(dLora, `base ${dBase.toFixed(3)}, adapter ${dLora.toFixed(3)}`).toBeLessThan(0.5 * dBase)

    await drawnAt(f, '0')
    expect(await f.getByTestId('lora-image').getAttribute('data-same')).toBe('true')
    expect(await pixels(page, f.getByTestId('lora-image'))).toEqual(await pixels(page, f.getByTestId('lora-base')))
    expect(s.w.pageErrors).toEqual([])
    expect(s.w.external).toEqual([])
  })

  it('says what is wrong with a damaged adapter; the base and the other rank keep working', async () => {
    const w = await watchedPage(s.deck)
    await w.context.route('**/models/micro-diffusion/lora/zumi-r1/adapter.safetensors', r => r.fulfill({ status: 200, contentType: 'application/octet-stream', body: Buffer.from('not a safetensors file at all') }))
    await w.page.goto(`${s.deck.url}/${loraNo}?backend=wasm`)
    const f = await ready(w.page, loraNo)
    await expect.poll(() => f.getByTestId('lora-problem').innerText()).toMatch(/adapter\.safetensors is not a readable safetensors file/)
    expect(await f.getAttribute('data-phase')).toBe('ready')
    await drawnAt(f, '0.5')
    expect(await f.getByTestId('lora-image').getAttribute('data-key')).toMatch(/^zumi-r4\|/)
    expect((await pixels(w.page, f.getByTestId('lora-base'))).length).toBe(32 * 32 * 3)
    expect(await f.getByTestId('lora-pick').locator('option[disabled]').count()).toBe(1)
    expect(w.pageErrors).toEqual([])
    await w.context.close()
  })
})
