/**
 * Text → video in the deck (micro-video on WASM): a clip generates to the end with every frame denoised
 * together; the same seed gives the same clip and another seed another; the picked patch shows its
 * attention across frames; what a person types wrong is explained and still makes a clip. (WebGPU against
 * WASM: diffusion-demos.test.ts; the flicker demo's video-model row: flicker.test.ts.)
 */
import { describe, expect, it } from 'vitest'
import { deckPage, ready } from '../lib/deck'
import { deckSlides } from '../lib/slides'
import { makeClip } from '../lib/video'

const slides = await deckSlides()
const no = slides.find(s => s.content.includes('<VideoDiffusion'))!.no
const catNo = slides.find(s => s.content.includes('<MuybridgeLoop'))!.no

describe('text → video, live', () => {
  const s = deckPage()

  it('denoises all frames together to the end, repeats for a seed, and shows a patch\'s attention across frames', async () => {
    const { page } = s.w
    await page.goto(`${s.deck.url}/${no}?backend=wasm`)
    const f = await ready(page, no)
    expect(await f.getAttribute('data-backend')).toBe('wasm')
    const vd = f.getByTestId('video-diffusion')
    const a = await makeClip(f, { prompt: 'rocket moving up', seed: 3, frames: 8, steps: 12 })
    expect(await vd.getAttribute('data-steps')).toBe('12')
    expect(await f.getByTestId('video-x0').locator('img').count()).toBe(8)
    // every frame is its own picture (the clip is not one frame repeated), and the loop plays
    const srcs = await f.getByTestId('video-x0').locator('img').evaluateAll(ims => ims.map(i => (i as HTMLImageElement).src))
    expect(new Set(srcs).size).toBeGreaterThan(4)
    expect(Number(await vd.getAttribute('data-change'))).toBeGreaterThan(0)
    await expect.poll(() => f.getByTestId('video-motion').innerText()).toMatch(/asked: moving up/)
    // the scrubber goes back to the first step: the predicted frames there differ from the end's
    await f.getByTestId('video-scrub').fill('0')
    await expect.poll(() => f.getByTestId('video-where').innerText()).toMatch(/step 1 \/ 12/)
    const first = await f.getByTestId('video-x0').locator('img').first().getAttribute('src')
    expect(first).not.toBe(srcs[0])
    // attention across frames for the picked patch: one row per frame, each a distribution
    const att = f.getByTestId('video-attention')
    expect(await att.getAttribute('data-rows')).toBe('8')
    const cells = async () => att.locator('.vd__w').evaluateAll(es => es.map(e => (e as HTMLElement).title))
    const before = await cells()
    await f.getByTestId('video-patch-0').click()
    await expect.poll(cells).not.toEqual(before)
    // the same seed: the same clip; another seed: another
    expect(await makeClip(f, {})).toEqual(a)
    const other = await makeClip(f, { seed: 4 })
    expect(Math.max(...other.map((v, i) => Math.abs(v - a[i]!)))).toBeGreaterThan(0.3)
    expect(s.w.external).toEqual([])
    expect(s.w.pageErrors).toEqual([])
  }, 300_000)

  it('makes a still clip from a motion it does not know and says which it knows; clamps 64 frames to 16', async () => {
    const { page } = s.w
    const f = await ready(page, no)
    await makeClip(f, { prompt: 'rocket flying', steps: 4 })
    await expect.poll(() => f.getByTestId('video-note').allInnerTexts()).toEqual([expect.stringMatching(/stays still\. It knows: .*moving up.*spinning/)])
    await makeClip(f, { prompt: 'cat face spinning', frames: 64, steps: 2 })
    expect((await f.getByTestId('video-note').allInnerTexts()).join(' ')).toMatch(/2 to 16 frames.*64 asked, making 16/)
    expect(await f.getByTestId('video-x0').locator('img').count()).toBe(16)
    await f.getByTestId('video-frames').fill('8')
    expect(s.w.pageErrors).toEqual([])
  }, 300_000)

  it('extends the clip on screen (its end becomes the new clip\'s start), and starts from a given picture', async () => {
    const { page } = s.w
    const f = await ready(page, no)
    await f.getByTestId('video-mode').selectOption('text')
    await makeClip(f, { prompt: 'pizza moving right', seed: 2, frames: 8, steps: 4 })
    const imgs = () => f.getByTestId('video-x0').locator('img').evaluateAll(ims => ims.map(i => (i as HTMLImageElement).src))
    const first = await imgs()
    await f.getByTestId('video-mode').selectOption('extend')
    await makeClip(f, { seed: 9 })
    expect(await f.getByTestId('video-x0').getAttribute('data-given')).toBe('0,1,2,3')
    const next = await imgs()
    expect(next.slice(0, 4)).toEqual(first.slice(4))
    expect(next.slice(4)).not.toEqual(first.slice(4))
    await f.getByTestId('video-mode').selectOption('image')
    await makeClip(f, {})
    expect(await f.getByTestId('video-x0').getAttribute('data-given')).toBe('0')
    await f.getByTestId('video-mode').selectOption('text')
    expect(s.w.pageErrors).toEqual([])
  }, 300_000)

  it('plays Muybridge\'s cat: the plate cut into 24 frames, looped; paused, a slider steps through them', async () => {
    const { page } = s.w
    await page.goto(`${s.deck.url}/${catNo}`)
    const f = await ready(page, catNo)
    const mb = f.getByTestId('muybridge')
    expect(await mb.getAttribute('data-frames')).toBe('24')
    expect(await mb.getAttribute('data-playing')).toBe('true')
    const loop = f.getByTestId('muybridge-loop')
    expect(await loop.evaluate(e => getComputedStyle(e).animationName)).toMatch(/^mb-loop/)
    await f.getByTestId('muybridge-play').click()
    await f.getByTestId('muybridge-frame').fill('9')
    await expect.poll(() => mb.getAttribute('data-frame')).toBe('9')
    expect(await loop.evaluate(e => getComputedStyle(e).animationName)).toBe('none')
    expect(await loop.evaluate(e => getComputedStyle(e).backgroundPositionX)).toBe('-3420px')
    expect(s.w.pageErrors).toEqual([])
  })
})
