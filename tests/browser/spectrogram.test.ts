/**
 * The spectrogram demo in the built deck, offline: synthesised sounds, an audio file decoded locally,
 * bad files refused with a message, and the live microphone (Chromium's fake capture device).
 */
import { describe, expect, it } from 'vitest'
import { animationFrames, deckPage, ready } from '../lib/deck'
import { deckSlides } from '../lib/slides'
import { wav } from '../lib/sound'

const slides = await deckSlides()
const no = slides.find(s => s.content.includes('<SpectrogramView'))!.no

describe('spectrogram', () => {
  const page = deckPage({ args: ['--use-fake-device-for-media-stream'] })

  it('draws the chosen sound, a dropped-in file, and refuses what is not audio', async () => {
    const { deck, w } = page
    await w.page.goto(`${deck.url}/${no}`)
    const frame = await ready(w.page, no)
    const sg = frame.getByTestId('spectrogram')
    expect(await frame.getByTestId('backend-badge').innerText()).toMatch(/CPU/)
    const vowels = await frame.getByTestId('sg-image').getAttribute('src')
    expect(Number(await sg.getAttribute('data-frames'))).toBeGreaterThan(100)
    await frame.getByTestId('sg-whistle').click()
    await expect.poll(() => sg.getAttribute('data-chosen')).toBe('whistle')
    expect(await frame.getByTestId('sg-image').getAttribute('src')).not.toBe(vowels)

    const file = frame.getByTestId('sg-file')
    await file.setInputFiles({ name: 'tone.wav', mimeType: 'audio/wav', buffer: wav(1000, 1) })
    await expect.poll(() => sg.getAttribute('data-chosen')).toBe('file')
    await expect.poll(() => frame.getByAltText('spectrogram of tone.wav').count()).toBe(1)
    await file.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') })
    await expect.poll(() => frame.getByTestId('sg-message').innerText()).toMatch(/notes\.txt" is not a sound/)
    await file.setInputFiles({ name: 'broken.wav', mimeType: 'audio/wav', buffer: Buffer.from('RIFF1234WAVEnonsense') })
    await expect.poll(() => frame.getByTestId('sg-message').innerText()).toMatch(/broken\.wav" could not be decoded/)
    // the last good picture stays
    expect(await frame.getByAltText('spectrogram of tone.wav').count()).toBe(1)
    expect(w.external).toEqual([])
    expect(w.pageErrors).toEqual([])
  })

  it('says so when the microphone is not allowed; listens live when it is, and stops on request', async () => {
    const { deck, w } = page
    const frame = w.page.locator(`[data-slidev-no="${no}"] .demo-frame`)
    await frame.getByTestId('sg-mic').click()
    await expect.poll(() => frame.getByTestId('sg-message').innerText()).toMatch(/microphone was not allowed/)

    const ctx = await deck.browser.newContext({ viewport: { width: 1280, height: 720 } })
    await ctx.grantPermissions(['microphone'])
    const mic = await ctx.newPage()
    const errors: string[] = []
    mic.on('pageerror', e => errors.push(e.message))
    await mic.goto(`${deck.url}/${no}`)
    const f = await ready(mic, no)
    await f.getByTestId('sg-mic').click()
    const live = f.getByTestId('sg-live')
    await expect.poll(async () => Number(await live.getAttribute('data-columns') ?? 0), { timeout: 20_000 }).toBeGreaterThan(20)
    await f.getByTestId('sg-mic-stop').click()
    const n = Number(await live.getAttribute('data-columns'))
    await animationFrames(mic, 20)
    expect(Number(await live.getAttribute('data-columns'))).toBe(n)
    await f.getByTestId('sg-hiss').click()
    await expect.poll(() => f.getByTestId('spectrogram').getAttribute('data-chosen')).toBe('hiss')
    // Granting one permission makes Chromium deny the others, so Slidev's screen wake lock is refused here
    // (it is not in a real talk): that one rejection is expected, any other error is not.
    expect(errors.filter(e => !/Wake Lock permission request denied/.test(e))).toEqual([])
    await ctx.close()
  })
})
