/**
 * Shared setup for browser tests: the built deck served on 127.0.0.1, a real Chromium driven by
 * playwright-core, every request that leaves the machine aborted and recorded, console errors and
 * page errors collected.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import { chromium } from 'playwright-core'
import { afterAll, beforeAll, expect } from 'vitest'
// @ts-expect-error plain ESM helper without types
import { CHROMIUM_ARGS, ensureChromium } from './chromium.mjs'
// @ts-expect-error plain ESM helper without types
import { serveDist } from './server.mjs'

export const ROOT = join(import.meta.dirname, '..', '..')
export const DIST = join(ROOT, 'dist')

export interface Deck {
  url: string
  browser: Browser
  close: () => Promise<void>
}

/** The built deck (`dist`: the talk's, unless another deck's build is named) in a fresh Chromium. */
export async function openDeck({ webgpu = false, isolate = false, args: extra = [] as string[], dist = DIST } = {}): Promise<Deck> {
  if (!existsSync(join(dist, 'index.html')))
    throw new Error(`${dist} is missing: run \`npm run build\` first (npm test does it)`)
  const server = await serveDist(dist, { isolate }) as { url: string, close: () => Promise<void> }
  const args = [...CHROMIUM_ARGS, ...(webgpu ? ['--enable-unsafe-webgpu', '--enable-features=Vulkan'] : []), ...extra]
  const browser = await chromium.launch({ executablePath: ensureChromium(), args, headless: true })
  return {
    url: server.url,
    browser,
    close: async () => {
      await browser.close()
      await server.close()
    },
  }
}

export interface Watched {
  page: Page
  context: BrowserContext
  external: string[]
  consoleErrors: string[]
  pageErrors: string[]
}

/**
 * For a describe block: the deck and one watched page, opened before its tests and closed after them.
 * Read `.deck` and `.w` inside the tests (they are set once beforeAll has run).
 */
export function deckPage(options?: Parameters<typeof openDeck>[0]): { readonly deck: Deck, readonly w: Watched } {
  const s = {} as { deck: Deck, w: Watched }
  beforeAll(async () => {
    s.deck = await openDeck(options)
    s.w = await watchedPage(s.deck)
  })
  afterAll(async () => {
    await s.w?.context.close()
    await s.deck?.close()
  })
  return s
}

/** A fresh page that blocks and records every non-local request and collects errors. */
export async function watchedPage(deck: Deck, viewport = { width: 1280, height: 720 }): Promise<Watched> {
  const context = await deck.browser.newContext({ viewport })
  const page = await context.newPage()
  const w: Watched = { page, context, external: [], consoleErrors: [], pageErrors: [] }
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url())
    const local = url.hostname === '127.0.0.1' || url.hostname === 'localhost'
    if ((url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'ws:' || url.protocol === 'wss:') && !local) {
      w.external.push(url.href)
      return route.abort()
    }
    return route.continue()
  })
  page.on('console', (m) => {
    if (m.type() === 'error')
      w.consoleErrors.push(m.text())
  })
  page.on('pageerror', e => w.pageErrors.push(e.message))
  return w
}

export interface NavState { total: number, current: number, clicks: number, clicksTotal: number, isPrint: boolean }

export async function nav(page: Page): Promise<NavState> {
  await page.waitForFunction(() => (window as unknown as { __underTheHood?: { nav?: unknown } }).__underTheHood?.nav)
  return page.evaluate(() => {
    const n = (window as unknown as { __underTheHood: { nav: NavState } }).__underTheHood.nav
    return { total: n.total, current: n.current, clicks: n.clicks, clicksTotal: n.clicksTotal, isPrint: n.isPrint }
  })
}

/** Moves keyboard focus out of any input, so arrow keys reach Slidev. */
export async function blur(page: Page): Promise<void> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
}

/** The demo frame on slide `no` of a page (in the presenter view: the current slide's, not the preview's). */
export function demoFrame(page: Page, no: number): Locator {
  return page.locator(`[data-slidev-no="${no}"] .demo-frame`).first()
}

/** Waits until the demo on slide `no` has finished loading, either way (ready or error). */
export async function settled(page: Page, no: number, timeout = 120_000): Promise<Locator> {
  const frame = demoFrame(page, no)
  await expect.poll(() => frame.getAttribute('data-phase'), { timeout, interval: 200 }).toMatch(/ready|error/)
  return frame
}

/**
 * Waits until the demo on slide `no` has loaded, and fails with its error text if it could not. The one
 * wait-for-ready of the browser tests.
 */
export async function ready(page: Page, no: number, timeout = 120_000): Promise<Locator> {
  const frame = await settled(page, no, timeout)
  if (await frame.getAttribute('data-phase') !== 'ready')
    throw new Error(`the demo on slide ${no} failed: ${await frame.getByTestId('demo-error').innerText()}`)
  return frame
}

/** A second page in the same browser context (a presenter window beside an audience window), watched the same way. */
export async function siblingPage(w: Watched): Promise<Watched> {
  const page = await w.context.newPage()
  const s: Watched = { page, context: w.context, external: w.external, consoleErrors: [], pageErrors: [] }
  page.on('console', (m) => { if (m.type() === 'error') s.consoleErrors.push(m.text()) })
  page.on('pageerror', e => s.pageErrors.push(e.message))
  return s
}

/** Lets the page draw `n` frames: for checks that something did NOT change while the page kept running. */
export async function animationFrames(page: Page, n = 10): Promise<void> {
  await page.evaluate(k => new Promise<void>((resolve) => {
    const tick = (left: number) => left ? requestAnimationFrame(() => tick(left - 1)) : resolve()
    tick(k)
  }), n)
}
