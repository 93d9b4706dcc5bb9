/**
 * Text → sound in the deck (micro-audio on WASM): the picture of the sound denoises step by step, Griffin–Lim
 * turns it into sound and Play hands real samples to the AudioContext; the same seed gives the same sound;
 * a continuation keeps the given first second and draws the rest (the sound on screen, a file); what a
 * person gives wrong (unknown words, a file that is not sound, no microphone) is explained.
 * (ONNX/PyTorch parity and the pitch of "whistle at A4": tests/unit/audio.test.ts.)
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Locator } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { deckPage, ready } from '../lib/deck'
import { deckSlides } from '../lib/slides'
import { played, recordPlayed, wav } from '../lib/sound'

const slides = await deckSlides()
const no = slides.find(s => s.content.includes('<AudioDiffusion'))!.no

/** Waits for the next finished sound (and its Griffin–Lim pass) after `action`. */
async function next(f: Locator, action: () => Promise<void>): Promise<string> {
  const ad = f.getByTestId('audio-diffusion')
  const before = Number(await ad.getAttribute('data-made'))
  await action()
  await expect.poll(async () => Number(await ad.getAttribute('data-made')), { timeout: 120_000 }).toBeGreaterThan(before)
  await expect.poll(() => ad.getAttribute('data-ready'), { timeout: 60_000 }).toBe('yes')
  return (await ad.getAttribute('data-final'))!
}

describe('text → sound, live', () => {
  const s = deckPage()

  it('denoises the picture step by step, plays it, and repeats for a seed', async () => {
    const { page } = s.w
    await recordPlayed(page)
    await page.goto(`${s.deck.url}/${no}?backend=wasm`)
    const f = await ready(page, no)
    expect(await f.getAttribute('data-backend')).toBe('wasm')
    const ad = f.getByTestId('audio-diffusion')
    // the slide makes its first sound on its own ("whistle at C4"), every step kept for the scrubber
    await expect.poll(() => ad.getAttribute('data-ready'), { timeout: 120_000 }).toBe('yes')
    expect(await ad.getAttribute('data-steps')).toBe('30')
    const end = await f.getByTestId('audio-x0').getAttribute('src')
    await f.getByTestId('audio-scrub').fill('0')
    await expect.poll(() => f.getByTestId('audio-where').innerText()).toMatch(/step 1 \/ 30/)
    expect(await f.getByTestId('audio-x0').getAttribute('src')).not.toBe(end)
    await f.getByTestId('audio-play').click()
    await expect.poll(async () => (await played(page)).length).toBe(1)
    const heard = (await played(page))[0]!
    const peak = Math.max(...heard.map(Math.abs))
    expect(peak).toBeLessThanOrEqual(0.9 + 1e-6) // normalised, below 0 dBFS
    expect(peak).toBeGreaterThan(0.05) // and not silence
    expect(heard.length).toBe(17152)
    // the same seed: the same picture; another seed: another
    await f.getByTestId('audio-steps').fill('8')
    const a = await next(f, () => f.getByTestId('audio-generate').click())
    expect(await next(f, () => f.getByTestId('audio-generate').click())).toBe(a)
    await f.getByTestId('audio-seed').fill('2')
    expect(await next(f, () => f.getByTestId('audio-generate').click())).not.toBe(a)
    expect(s.w.external).toEqual([])
    expect(s.w.pageErrors).toEqual([])
  }, 300_000)

  it('continues a sound: the given first second is kept exactly and the model draws the rest', async () => {
    const { page } = s.w
    const f = await ready(page, no)
    const ad = f.getByTestId('audio-diffusion')
    await f.getByTestId('audio-prompt').fill('organ chord C major')
    await next(f, () => f.getByTestId('audio-prompt').press('Enter'))
    // the sound on screen: its second half becomes the next sound's first second
    await next(f, () => f.getByTestId('audio-continue').click())
    expect(await ad.getAttribute('data-continued')).toBe('yes')
    expect(Number(await ad.getAttribute('data-kept'))).toBeLessThan(2e-3)
    expect(Number(await ad.getAttribute('data-tail'))).toBeGreaterThan(0) // louder than −40 dB somewhere after it
    // a file: its first second, whatever its sample rate
    await next(f, () => f.getByTestId('audio-file').setInputFiles({ name: 'tone.wav', mimeType: 'audio/wav', buffer: wav(440, 1.5, 22050) }))
    expect(await f.getByText('given: the first second of tone.wav').count()).toBe(1)
    expect(Number(await ad.getAttribute('data-kept'))).toBeLessThan(2e-3)
    // not a sound: a clear message, and the sound on screen stays
    const shown = await ad.getAttribute('data-final')
    await f.getByTestId('audio-file').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('quiet on set') })
    await expect.poll(() => f.getByTestId('audio-input-message').innerText()).toMatch(/notes\.txt" is not a sound/)
    expect(await ad.getAttribute('data-final')).toBe(shown)
    // a 30-minute recording at CD quality is over the limit: refused at once, before any decoding
    const big = join(mkdtempSync(join(tmpdir(), 'uth-')), 'whole-take.wav')
    writeFileSync(big, Buffer.alloc(51 * 1024 * 1024))
    await f.getByTestId('audio-file').setInputFiles(big)
    await expect.poll(() => f.getByTestId('audio-input-message').innerText()).toMatch(/whole-take\.wav" is 51 MB; sounds up to 50 MB/)
    expect(await ad.getAttribute('data-final')).toBe(shown)
    // no microphone here (headless, no permission): a clear message, nothing frozen
    await f.getByTestId('audio-mic').click()
    await expect.poll(() => f.getByTestId('audio-input-message').innerText(), { timeout: 30_000 }).toMatch(/microphone/i)
    await next(f, () => f.getByTestId('audio-no-given').click())
    expect(await ad.getAttribute('data-given')).toBe('no')
    expect(s.w.pageErrors).toEqual([])
  }, 300_000)

  it('says which words it does not know, and still makes a sound from the rest', async () => {
    const { page } = s.w
    const f = await ready(page, no)
    await f.getByTestId('audio-prompt').fill('violin at A4')
    await next(f, () => f.getByTestId('audio-prompt').press('Enter'))
    await expect.poll(() => f.getByTestId('audio-note').allInnerTexts()).toEqual([expect.stringMatching(/left out: "violin"\. It reads: at a4\. It knows: .*whistle/)])
    expect(s.w.pageErrors).toEqual([])
  }, 120_000)
})
