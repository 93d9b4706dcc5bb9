/**
 * The deck as a room sees it: a walk through every slide, in the live (dark) theme and in the printed
 * handout (light), that fails on text outside the slide or cut off, audience-facing text under 18 px at
 * 1280x720, and text under WCAG AA contrast (axe-core). Also: a 1920x1080 projector, a 4:3 one, and a
 * browser zoomed to 150 %. The same walk makes the contact sheet (`npm run contact-sheet`).
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { deckPage, nav, openDeck, ready, ROOT, watchedPage } from '../lib/deck'
import { deckSlides } from '../lib/slides'
import type { Problem } from '../lib/walk'
import { describeProblems, layoutProblems, settle, showPrintSlide, showSlide, slideProblems } from '../lib/walk'

describe('every slide, live (dark theme, 1280x720 and 1920x1080)', () => {
  const s = deckPage()

  it('is dark by default, in our typeface', async () => {
    const { page } = s.w
    await page.goto(`${s.deck.url}/1`)
    await expect.poll(() => page.evaluate(() => document.documentElement.classList.contains('dark'))).toBe(true)
    const font = await page.locator('.slidev-page-1 .slidev-layout').evaluate(el => getComputedStyle(el).fontFamily)
    expect(font).toMatch(/^"?Inter Variable/)
    expect(await page.evaluate(() => document.fonts.check('16px "Inter Variable"'))).toBe(true)
  })

  it('has no overflow, no text under 18 px and no contrast under WCAG AA on any slide; on a 1920x1080 projector too', async () => {
    const { page } = s.w
    await page.goto(`${s.deck.url}/1?backend=wasm`)
    const { total } = await nav(page)
    expect(total).toBeGreaterThan(60)
    const problems: Problem[] = []
    const projector: Problem[] = []
    for (let no = 1; no <= total; no++) {
      await page.setViewportSize({ width: 1280, height: 720 })
      await showSlide(page, no)
      problems.push(...await slideProblems(page, no))
      // The same slide, its demos as they are, after the window moves to a 1920x1080 projector.
      await page.setViewportSize({ width: 1920, height: 1080 })
      // Its demos have drawn already: a resize only scales the slide (a short quiet spell is enough).
      await settle(page, no, 15_000, 250)
      projector.push(...(await layoutProblems(page, `.slidev-page-${no} .slidev-layout`, no)).filter(p => p.kind !== 'contrast'))
    }
    expect(problems.length, describeProblems(problems)).toBe(0)
    expect(projector.length, `at 1920x1080:\n${describeProblems(projector)}`).toBe(0)
    expect(s.w.external).toEqual([])
  }, 900_000)
})

describe('every slide, printed (light handout)', () => {
  const s = deckPage()

  it('has no overflow, no text under 18 px and no contrast under WCAG AA on any page', async () => {
    const { page } = s.w
    // The screen has been dark in this browser: the handout is light all the same.
    await page.goto(`${s.deck.url}/1`)
    await expect.poll(() => page.evaluate(() => document.documentElement.classList.contains('dark'))).toBe(true)
    const total = (await deckSlides()).length
    const problems: Problem[] = []
    for (let no = 1; no <= total; no++) {
      await showPrintSlide(page, s.deck.url, no)
      if (no === 1)
        expect(await page.evaluate(() => document.documentElement.className)).toMatch(/\blight\b/)
      expect(await page.evaluate(() => document.documentElement.classList.contains('dark')), `slide ${no} prints dark`).toBe(false)
      problems.push(...await slideProblems(page, no))
    }
    expect(problems.length, describeProblems(problems)).toBe(0)
    expect(s.w.external).toEqual([])
  }, 900_000)
})

describe('a 4:3 projector (the deck built with aspectRatio 4/3)', () => {
  it('keeps every slide\'s text inside the slide', async () => {
    // The same talk with one headmatter line changed, built beside slides.md so its `src:` imports resolve.
    const entry = join(ROOT, '.slides-4x3.md')
    const out = join(ROOT, 'tests', '.scratch', 'dist-4x3')
    const md = (await import('node:fs')).readFileSync(join(ROOT, 'slides.md'), 'utf8').replace(/^---\n/, '---\naspectRatio: 4/3\n')
    writeFileSync(entry, md)
    rmSync(out, { recursive: true, force: true })
    mkdirSync(out, { recursive: true })
    try {
      const r = spawnSync(join(ROOT, 'node_modules', '.bin', 'slidev'), ['build', entry, '--out', out], { cwd: ROOT, encoding: 'utf8' })
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0)
    }
    finally {
      rmSync(entry, { force: true })
    }
    const deck = await openDeck({ dist: out })
    try {
      const w = await watchedPage(deck, { width: 1024, height: 768 })
      await w.page.goto(`${deck.url}/1?backend=wasm`)
      const { total } = await nav(w.page)
      const problems: Problem[] = []
      for (let no = 1; no <= total; no++) {
        await showSlide(w.page, no)
        const box = await w.page.locator(`.slidev-page-${no} .slidev-layout`).boundingBox()
        expect(box!.width / box!.height).toBeCloseTo(4 / 3, 1)
        problems.push(...(await layoutProblems(w.page, `.slidev-page-${no} .slidev-layout`, no, 0)).filter(p => p.kind === 'overflow'))
      }
      expect(problems.length, describeProblems(problems)).toBe(0)
    }
    finally {
      await deck.close()
    }
  }, 900_000)
})

describe('a browser zoomed to 150 %', () => {
  const s = deckPage()

  it('keeps a demo usable: its controls on screen, and they work', async () => {
    const slides = await deckSlides()
    const no = slides.find(x => x.content.includes('<ReverseDiffusion'))!.no
    const context = await s.deck.browser.newContext({ viewport: { width: 853, height: 480 }, deviceScaleFactor: 1.5 })
    try {
      const page = await context.newPage()
      await page.goto(`${s.deck.url}/${no}?backend=wasm`)
      const frame = await ready(page, no)
      const play = frame.getByTestId('reverse-play')
      const box = (await play.boundingBox())!
      expect(box.x).toBeGreaterThanOrEqual(0)
      expect(box.y + box.height).toBeLessThanOrEqual(480)
      await play.click()
      await expect.poll(() => frame.getByTestId('reverse-panels').getAttribute('data-final-latent'), { timeout: 180_000 }).not.toBe('')
      const problems = (await layoutProblems(page, `.slidev-page-${no} .slidev-layout`, no, 0)).filter(p => p.kind === 'overflow')
      expect(problems.length, describeProblems(problems)).toBe(0)
    }
    finally {
      await context.close()
    }
  })
})
