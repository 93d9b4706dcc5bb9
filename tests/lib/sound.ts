/** Sounds made for the tests, and the sound a page plays. */
import type { Page } from 'playwright-core'

/** A mono 16-bit PCM WAV file of a sine. */
export function wav(hz: number, seconds: number, rate = 8000): Buffer {
  const n = Math.round(seconds * rate)
  const b = Buffer.alloc(44 + n * 2)
  b.write('RIFF', 0)
  b.writeUInt32LE(36 + n * 2, 4)
  b.write('WAVEfmt ', 8)
  b.writeUInt32LE(16, 16)
  b.writeUInt16LE(1, 20)
  b.writeUInt16LE(1, 22)
  b.writeUInt32LE(rate, 24)
  b.writeUInt32LE(rate * 2, 28)
  b.writeUInt16LE(2, 32)
  b.writeUInt16LE(16, 34)
  b.write('data', 36)
  b.writeUInt32LE(n * 2, 40)
  for (let i = 0; i < n; i++) b.writeInt16LE(Math.round(12000 * Math.sin(2 * Math.PI * hz * i / rate)), 44 + i * 2)
  return b
}

/**
 * Records every buffer of samples the page hands to an AudioBuffer (headless Chromium has no speakers, but
 * the buffer is real). Call before the page loads; `played(page)` returns them in order.
 */
export async function recordPlayed(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __played: number[][] }
    w.__played = []
    const copy = AudioBuffer.prototype.copyToChannel
    AudioBuffer.prototype.copyToChannel = function (src: Float32Array<ArrayBuffer>, ch: number, at?: number) {
      w.__played.push(Array.from(src))
      return copy.call(this, src, ch, at)
    }
  })
}

export function played(page: Page): Promise<number[][]> {
  return page.evaluate(() => (window as unknown as { __played: number[][] }).__played)
}
