/**
 * `npm run contact-sheet [-- --print] [--out sheet.png] [--width 1280 --height 720]`
 *
 * Every slide of the built deck (dist/, `npm run build` first) on one PNG, so a person can look at the
 * whole deck at once. Each thumbnail is the slide as the audience sees it (live, dark theme) or, with
 * --print, as the handout prints it (light). Demos are shown after they have loaded. Under each
 * thumbnail: the slide number, and what the design walk found there (overflow, small text, contrast).
 * The full-size screenshots are kept beside the sheet (DIR/slides/NN.png). `--only 13,15` walks just those slides.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { chromium } from 'playwright-core'
// @ts-expect-error plain ESM helper without types
import { CHROMIUM_ARGS, ensureChromium } from '../tests/lib/chromium.mjs'
// @ts-expect-error plain ESM helper without types
import { serveDist } from '../tests/lib/server.mjs'
import type { Problem } from '../tests/lib/walk'
import { showPrintSlide, showSlide, slideProblems } from '../tests/lib/walk'

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      print: { type: 'boolean', default: false }, out: { type: 'string' }, width: { type: 'string', default: '1280' },
      height: { type: 'string', default: '720' }, dist: { type: 'string', default: join(import.meta.dirname, '..', 'dist') },
      columns: { type: 'string', default: '6' }, only: { type: 'string' },
    },
  })
  const out = resolve(values.out ?? `contact-sheet${values.print ? '-print' : ''}.png`)
  const shots = join(dirname(out), `${out.split('/').pop()!.replace(/\.png$/, '')}-slides`)
  mkdirSync(shots, { recursive: true })
  const viewport = { width: Number(values.width), height: Number(values.height) }
  const server = await serveDist(resolve(values.dist!)) as { url: string, close: () => Promise<void> }
  const browser = await chromium.launch({ executablePath: ensureChromium(), args: CHROMIUM_ARGS, headless: true })
  const page = await browser.newPage({ viewport })
  await page.route('**/*', route => /^https?:\/\/(127\.0\.0\.1|localhost)[:/]/.test(route.request().url()) || route.request().url().startsWith('data:') ? route.continue() : route.abort())
  const cells: { no: number, png: string, problems: Problem[] }[] = []
  const only = values.only ? new Set(values.only.split(',').map(Number)) : undefined
  const wanted = (no: number) => !only || only.has(no)
  try {
    await page.goto(`${server.url}/1`)
    const total = await page.evaluate(() => (window as unknown as { __underTheHood: { nav: { total: number } } }).__underTheHood.nav.total)
    for (let no = 1; no <= total; no++) {
      if (!wanted(no))
        continue
      await (values.print ? showPrintSlide(page, server.url, no) : showSlide(page, no))
      const png = join(shots, `${String(no).padStart(2, '0')}.png`)
      await page.locator(`.slidev-page-${no}`).screenshot({ path: png })
      const problems = await slideProblems(page, no)
      cells.push({ no, png, problems })
      console.log(`slide ${no}: ${problems.length ? problems.map(p => `${p.kind} "${p.text}" ${p.detail}`).join('; ') : 'ok'}`)
    }
    // The sheet: a plain HTML grid of the screenshots, photographed.
    const cols = Number(values.columns)
    const html = `<!doctype html><html><body style="margin:0;background:#222;font:14px system-ui;color:#eee">
<div style="display:grid;grid-template-columns:repeat(${cols},1fr);gap:10px;padding:10px">
${cells.map(c => `<figure style="margin:0"><img style="width:100%;display:block;border:1px solid #444" src="file://${c.png}">
<figcaption style="padding:2px 0;color:${c.problems.length ? '#ff8a80' : '#aaa'}">${c.no}${c.problems.length ? ` · ${c.problems.length} problem(s): ${[...new Set(c.problems.map(p => p.kind))].join(', ')}` : ''}</figcaption></figure>`).join('\n')}
</div></body></html>`
    const sheetHtml = join(shots, 'sheet.html')
    writeFileSync(sheetHtml, html)
    const sheet = await browser.newPage({ viewport: { width: 2400, height: 800 } })
    await sheet.goto(`file://${sheetHtml}`)
    await sheet.screenshot({ path: out, fullPage: true })
    writeFileSync(join(shots, 'problems.json'), JSON.stringify(cells.flatMap(c => c.problems), null, 1))
    const n = cells.reduce((s, c) => s + c.problems.length, 0)
    console.log(`contact sheet: ${out} (${cells.length} slides, ${n} problem(s); screenshots in ${shots})`)
    return 0
  }
  finally {
    await browser.close()
    await server.close()
  }
}

main().then(code => process.exit(code), (e) => {
  console.error(e instanceof Error ? e.message : e)
  process.exit(1)
})
