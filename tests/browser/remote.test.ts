/**
 * Remote mode: the dev server relays every demo's state, so a second device (here: a separate browser
 * context, which shares no BroadcastChannel with the first) follows the presenter, and a device that
 * joins late finds the current state.
 */
import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Deck } from '../lib/deck'
import { openDeck, ready, ROOT, watchedPage } from '../lib/deck'
import { deckSlides } from '../lib/slides'

const slides = await deckSlides()
const no = slides.find(s => s.content.includes('<ReverseDiffusion'))!.no

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

describe('remote mode (dev server)', () => {
  let dev: ChildProcess
  let url = ''
  let log = ''
  let deck: Deck
  beforeAll(async () => {
    const port = await freePort()
    dev = spawn(process.execPath, [join(ROOT, 'node_modules/@slidev/cli/bin/slidev.mjs'), '--port', String(port), '--open', 'false'], { cwd: ROOT })
    dev.stdout!.on('data', (d) => { log += d })
    dev.stderr!.on('data', (d) => { log += d })
    url = `http://localhost:${port}`
    // Waits for the server to answer (a state, not a sleep); the hook's timeout bounds it.
    while (!await fetch(url).then(r => r.ok, () => false)) await new Promise(r => setTimeout(r, 250))
    deck = await openDeck()
  })
  afterAll(async () => {
    dev?.kill()
    await deck?.close()
  })

  it('a second device follows the presenter, and a late one finds the current state', async () => {
    const presenter = await watchedPage(deck)
    const device = await watchedPage(deck)
    await presenter.page.goto(`${url}/presenter/${no}`)
    await device.page.goto(`${url}/${no}`)
    const p = await ready(presenter.page, no, 180_000)
    const d = await ready(device.page, no, 180_000)
    await p.getByTestId('reverse-prompt').fill('rocket')
    await p.getByTestId('reverse-steps').fill('6')
    await p.getByTestId('reverse-play').click()
    const latent = (f: typeof p) => f.getByTestId('reverse-panels').getAttribute('data-final-latent')
    await expect.poll(() => latent(d), { timeout: 60_000 }).not.toBe('')
    await expect.poll(() => latent(p), { timeout: 60_000 }).not.toBe('')
    expect(await d.getByTestId('reverse-prompt').inputValue()).toBe('rocket')
    expect(await latent(d)).toBe(await latent(p))

    await d.getByTestId('reverse-prompt').fill('cat face')
    await expect.poll(() => p.getByTestId('reverse-prompt').inputValue(), { timeout: 20_000 }).toBe('cat face')

    const late = await watchedPage(deck)
    await late.page.goto(`${url}/${no}`)
    const l = await ready(late.page, no, 180_000)
    await expect.poll(() => l.getByTestId('reverse-prompt').inputValue(), { timeout: 20_000 }).toBe('cat face')
    for (const w of [presenter, device, late]) {
      expect(w.pageErrors, log.slice(-2000)).toEqual([])
      expect(w.external).toEqual([])
      await w.context.close()
    }
  })
})
