/**
 * A walk through every slide of a built deck, as the audience sees it: for each slide, the problems a
 * person at the back of a room would notice.
 *   - overflow: text outside the slide, or cut off by a box that hides its overflow;
 *   - small: audience-facing text under MIN_PX screen pixels;
 *   - contrast: text under WCAG AA contrast, as axe-core measures it.
 * Used by the design test (tests/browser/design.test.ts) and the contact sheet (scripts/contact-sheet.ts).
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Page } from 'playwright-core'

export const MIN_PX = 18

export interface Problem { slide: number, kind: 'overflow' | 'small' | 'contrast', text: string, detail: string }

const require = createRequire(import.meta.url)
let axeSource: string | undefined

/** Injects axe-core into the page once (a kept library; no network). */
export async function injectAxe(page: Page): Promise<void> {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8')
  if (!await page.evaluate(() => 'axe' in window))
    await page.addScriptTag({ content: axeSource })
}

/**
 * Waits until slide `no` stops changing: no DOM mutation inside it for a quiet spell (600 ms where a demo
 * or a diagram may still draw its first result after "ready", 250 ms on a slide of text and pictures, or
 * `quiet`), or `maxMs` at most. A state, observed; not a fixed sleep.
 */
export async function settle(page: Page, no: number, maxMs = 15_000, quiet?: number): Promise<void> {
  await page.evaluate(({ n, maxMs, quiet }) => new Promise<void>((resolve) => {
    const el = document.querySelector(`.slidev-page-${n}`)
    if (!el)
      return resolve()
    const quietMs = quiet ?? (el.querySelector('.demo-frame, .mermaid, canvas') ? 600 : 250)
    let timer = setTimeout(done, quietMs)
    const stop = setTimeout(done, maxMs)
    const obs = new MutationObserver(() => {
      clearTimeout(timer)
      timer = setTimeout(done, quietMs)
    })
    obs.observe(el, { subtree: true, childList: true, attributes: true, characterData: true })
    function done() {
      obs.disconnect()
      clearTimeout(timer)
      clearTimeout(stop)
      resolve()
    }
  }), { n: no, maxMs, quiet })
  await page.evaluate(() => document.fonts.ready.then(() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))))
}

/**
 * Moves the page to slide `no` (with `clicks` revealed) and waits until it alone is on screen, out of its
 * transition (Slidev keeps the other slides mounted, hidden), and its demos have reached `ready`: loaded
 * (or failed) live, or their print state computed (or failed) in print mode. Then until it stops changing.
 */
async function goAndWait(page: Page, no: number, clicks: number, print: boolean, timeout: number): Promise<void> {
  await page.waitForFunction(() => (window as unknown as { __underTheHood?: { nav?: unknown } }).__underTheHood?.nav)
  // The walk looks at each slide as it rests: the fade between slides is skipped (it changes nothing there).
  await page.evaluate(() => {
    if (document.getElementById('walk-no-transitions')) return
    const style = document.createElement('style')
    style.id = 'walk-no-transitions'
    style.textContent = '.slidev-page, .slidev-page * { transition-duration: 0s !important; transition-delay: 0s !important; }'
    document.head.append(style)
  })
  await page.evaluate(([n, c]) => (window as unknown as { __underTheHood: { nav: { go: (n: number, c: number) => void } } }).__underTheHood.nav.go(n, c), [no, clicks] as const)
  await page.waitForFunction(([n, print]) => {
    const nav = (window as unknown as { __underTheHood: { nav: { current: number, clicks: number, clicksTotal: number, isPrint: boolean } } }).__underTheHood.nav
    const el = document.querySelector(`.slidev-page-${n}`) as HTMLElement | null
    if (nav.current !== n || !el?.querySelector('.slidev-layout') || (print ? !nav.isPrint : nav.clicks < nav.clicksTotal))
      return false
    const shown = [...document.querySelectorAll('.slidev-page')].filter(p => (p as HTMLElement).checkVisibility({ opacityProperty: true }))
    if (shown.length !== 1 || shown[0] !== el || /-(enter|leave)-active/.test(el.className))
      return false
    return [...el.querySelectorAll('.demo-frame')].every(f => print
      ? f.querySelector('.demo-print-ready') || f.getAttribute('data-phase') === 'error'
      : /ready|error/.test(f.getAttribute('data-phase') ?? ''))
  }, [no, print] as const, { timeout, polling: 200 })
  await settle(page, no)
}

/** Goes to slide `no` with every click revealed, and waits until its demos have loaded (or failed). */
export async function showSlide(page: Page, no: number): Promise<void> {
  await goAndWait(page, no, 999, false, 180_000)
}

/**
 * Shows slide `no` as the exporter prints it (`?print=true`: the light handout theme, demos in their print
 * state) and waits until its demos have computed that state. The first call loads the page in print mode;
 * later calls move within it (print mode stays in the URL), so each demo computes its print state once.
 */
export async function showPrintSlide(page: Page, url: string, no: number): Promise<void> {
  const inPrint = page.url().startsWith(url) && new URL(page.url()).searchParams.has('print')
  if (!inPrint)
    await page.goto(`${url}/${no}?print=true&backend=wasm`)
  await goAndWait(page, no, 0, true, 300_000)
}

/** The overflow and size problems of the slide element `root` (runs in the page). */
export async function layoutProblems(page: Page, selector: string, slide: number, minPx = MIN_PX): Promise<Problem[]> {
  return page.evaluate(({ selector, slide, minPx }) => {
    const root = document.querySelector(selector) as HTMLElement | null
    if (!root)
      return [{ slide, kind: 'overflow' as const, text: '', detail: `no element ${selector}` }]
    const box = root.getBoundingClientRect()
    const rootScale = box.width / root.offsetWidth
    const out: { slide: number, kind: 'overflow' | 'small', text: string, detail: string }[] = []
    const seen = new Set<string>()
    const add = (kind: 'overflow' | 'small', text: string, detail: string) => {
      const key = `${kind}|${text}|${detail}`
      if (!seen.has(key) && seen.size < 400) {
        seen.add(key)
        out.push({ slide, kind, text: text.slice(0, 60), detail })
      }
    }
    const hidden = (el: Element): boolean => {
      for (let e: Element | null = el; e && e !== root.parentElement; e = e.parentElement) {
        const cs = getComputedStyle(e)
        if (cs.display === 'none' || cs.visibility === 'hidden' || Number(cs.opacity) === 0)
          return true
        if (e.getAttribute('aria-hidden') === 'true' || e.classList.contains('demo-print-ready'))
          return true
      }
      return false
    }
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT)
    const parents = new Set<Element>()
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (n.textContent?.trim() && n.parentElement)
        parents.add(n.parentElement)
    }
    for (const el of parents) {
      if (el.closest('script, style, title, option, .katex-mathml, .slidev-note') || hidden(el))
        continue
      const text = (el.textContent ?? '').trim().replace(/\s+/g, ' ')
      const rects = [...el.getClientRects()].filter(r => r.width > 0 && r.height > 0)
      if (!rects.length)
        continue
      // Size on screen: the computed size times the scale from layout to screen.
      const fs = Number.parseFloat(getComputedStyle(el).fontSize)
      let scale = 1
      if (el instanceof SVGElement) {
        const m = (el as SVGGraphicsElement).getScreenCTM?.()
        if (m)
          scale = Math.hypot(m.a, m.b)
      }
      else {
        scale = rootScale // Slidev scales the whole slide uniformly to fit the window
      }
      const px = fs * scale
      // A formula's raised and lowered parts (exponents, indices: KaTeX's or <sub>/<sup>) are read with the
      // symbol they belong to, so they are measured by the line they sit on.
      const inScript = el.closest('.katex .msupsub, .katex .mfrac .vlist, sub, sup')
      if (!inScript && px < minPx - 0.25)
        add('small', text, `${px.toFixed(1)} px`)
      for (const r of rects) {
        if (r.left < box.left - 2 || r.right > box.right + 2 || r.top < box.top - 2 || r.bottom > box.bottom + 2) {
          add('overflow', text, `outside the slide by ${Math.round(Math.max(box.left - r.left, r.right - box.right, box.top - r.top, r.bottom - box.bottom))} px`)
          break
        }
      }
      // Cut off by an ancestor that hides its overflow.
      for (let a = el.parentElement; a && a !== root; a = a.parentElement) {
        const cs = getComputedStyle(a)
        if (cs.overflowX === 'visible' && cs.overflowY === 'visible')
          continue
        if (cs.overflowX === 'auto' || cs.overflowY === 'auto' || cs.overflowX === 'scroll' || cs.overflowY === 'scroll')
          break // a scrolling box: the text can be reached
        const ab = a.getBoundingClientRect()
        const cut = rects.some(r => r.bottom > ab.bottom + 2 || r.right > ab.right + 2 || r.top < ab.top - 2 || r.left < ab.left - 2)
        if (cut) {
          add('overflow', text, `cut off by .${[...a.classList].join('.') || a.tagName.toLowerCase()}`)
          break
        }
      }
    }
    return out
  }, { selector, slide, minPx })
}

/** Text under WCAG AA contrast inside `selector`, measured by axe-core. */
export async function contrastProblems(page: Page, selector: string, slide: number): Promise<Problem[]> {
  await injectAxe(page)
  const nodes = await page.evaluate(async (sel) => {
    const axe = (window as unknown as { axe: { run: (c: unknown, o: unknown) => Promise<{ violations: { nodes: { target: string[], html: string, any: { message: string }[] }[] }[] }> } }).axe
    const r = await axe.run({ include: [sel] }, { runOnly: { type: 'rule', values: ['color-contrast'] }, resultTypes: ['violations'] })
    return r.violations.flatMap(v => v.nodes.map(n => ({ text: n.html.replace(/<[^>]+>/g, '').trim(), detail: n.any[0]?.message ?? '' })))
  }, selector)
  return nodes.map(n => ({ slide, kind: 'contrast' as const, text: n.text.slice(0, 60), detail: n.detail.replace(/\s+/g, ' ').slice(0, 160) }))
}

/** Both kinds of check for slide `no` of a live page (the audience view at /no). */
export async function slideProblems(page: Page, no: number): Promise<Problem[]> {
  const sel = `.slidev-page-${no} .slidev-layout`
  return [...await layoutProblems(page, sel, no), ...await contrastProblems(page, sel, no)]
}

export function describeProblems(problems: Problem[]): string {
  return problems.map(p => `slide ${p.slide}: ${p.kind} "${p.text}" ${p.detail}`).join('\n')
}
