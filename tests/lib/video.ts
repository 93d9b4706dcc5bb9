/** Driving the text → video demo (VideoDiffusion) from a browser test. */
import type { Locator } from 'playwright-core'
import { expect } from 'vitest'

/** Sets the controls, presses Generate, waits for that clip to finish; returns its latents (a prefix, rounded). */
export async function makeClip(f: Locator, opts: { prompt?: string, seed?: number, frames?: number, steps?: number }, timeout = 120_000): Promise<number[]> {
  const vd = f.getByTestId('video-diffusion')
  const before = Number(await vd.getAttribute('data-made'))
  if (opts.prompt !== undefined) await f.getByTestId('video-prompt').fill(opts.prompt)
  if (opts.seed !== undefined) await f.getByTestId('video-seed').fill(String(opts.seed))
  if (opts.frames !== undefined) await f.getByTestId('video-frames').fill(String(opts.frames))
  if (opts.steps !== undefined) await f.getByTestId('video-steps').fill(String(opts.steps))
  await f.getByTestId('video-generate').click()
  await expect.poll(async () => Number(await vd.getAttribute('data-made')), { timeout }).toBe(before + 1)
  return (await vd.getAttribute('data-final'))!.split(',').map(Number)
}
