/**
 * `npm run export`: the PDF handout. Run, where the machine allows it, inside a network namespace
 * that has only a loopback interface, which proves the export needs no network; and from a cold Vite
 * cache, as on a fresh checkout. Every page is rasterised and must not be blank; its text must be
 * selectable (pdftotext finds the slide's title on its page).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PDFDocument } from 'pdf-lib'
import { describe, expect, it } from 'vitest'
import { ROOT } from '../lib/deck'
import { deckSlides } from '../lib/slides'
// @ts-expect-error plain ESM helper without types
import { handoutProblems, slideTitles } from '../../scripts/handout.mjs'

const art = join(ROOT, 'tests', '.artifacts')
const out = join(art, 'handout.pdf')

function offlineWrapper(): string[] | null {
  const probe = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore' })
  return probe.status === 0 ? ['unshare', '-n', 'sh', '-c'] : null
}

function exportHandout(file: string, extra = ''): { status: number | null, log: string } {
  const wrap = offlineWrapper()
  const cmd = `ip link set lo up 2>/dev/null; exec npm run export -- --output ${JSON.stringify(file)} ${extra}`
  const r = wrap
    ? spawnSync(wrap[0]!, [...wrap.slice(1), cmd], { cwd: ROOT, encoding: 'utf8', timeout: 900_000 })
    : spawnSync('sh', ['-c', cmd], { cwd: ROOT, encoding: 'utf8', timeout: 900_000 })
  if (!wrap)
    console.warn('note: could not create a network namespace here; exported with the network as it is')
  return { status: r.status, log: `${r.stdout}\n${r.stderr}` }
}

// Quotes may come out typographic (’ “ ”) in the PDF, and Inter's hyphen is extracted as a soft hyphen that
// pdftotext drops: compare with plain quotes and without hyphens (as scripts/handout.mjs does).
const quotes = (s: string) => s.replace(/[‘’]/g, '\'').replace(/[“”]/g, '"').replace(/[-\u00AD]/g, '')
const plain = (s: string) => quotes(s).replace(/\*\*|`|\$[^$]*\$/g, '').replace(/\s+/g, ' ').trim()

describe('PDF handout', () => {
  it('exports one page per slide, each with its slide\'s title, without network, from a cold cache', async () => {
    const slides = await deckSlides()
    rmSync(out, { force: true })
    // Export from a cold dependency cache, as on a fresh checkout: slides then load slowly, and the
    // exporter must still wait for every one of them (setup/printGate.ts).
    rmSync(join(ROOT, 'node_modules', '.vite', 'deps'), { recursive: true, force: true })
    const { status, log } = exportHandout(out)
    expect(status, log).toBe(0)
    expect(log, 'a lazily imported package is missing from optimizeDeps.include in vite.config.ts')
      .not.toMatch(/optimized dependencies changed\. reloading/)
    expect(existsSync(out)).toBe(true)

    const info = spawnSync('pdfinfo', [out], { encoding: 'utf8' })
    expect(info.status, 'pdfinfo (poppler-utils) is needed').toBe(0)
    expect(Number(/Pages:\s+(\d+)/.exec(info.stdout)?.[1])).toBe(slides.length)
    // Page by page: page N carries slide N's title (not just somewhere in the document).
    const wrong: string[] = []
    for (const s of slides) {
      const text = quotes(spawnSync('pdftotext', ['-f', String(s.no), '-l', String(s.no), '-layout', out, '-'], { encoding: 'utf8' }).stdout).replace(/\s+/g, ' ')
      // A long title wraps where the browser chose (after a dash, say): compare without the spaces.
      if (!text.trim() || (s.heading && !text.replace(/ /g, '').includes(plain(s.heading).replace(/ /g, '')))) wrong.push(`${s.no}: "${plain(s.heading)}" / "${text.slice(0, 80)}"`)
    }
    expect(wrong, `exporter log ends: ${log.slice(-1500)}`).toEqual([])
    // Every page rasterised (poppler's pdftoppm, as a person would look at it): none is blank. A page is
    // blank when its pixels hardly vary.
    const pngDir = join(art, 'handout-pages')
    rmSync(pngDir, { recursive: true, force: true })
    mkdirSync(pngDir, { recursive: true })
    expect(spawnSync('pdftoppm', ['-r', '24', '-png', out, join(pngDir, 'p')]).status).toBe(0)
    const pages = readdirSync(pngDir).filter(f => f.endsWith('.png')).sort()
    expect(pages).toHaveLength(slides.length)
    const sharp = (await import('sharp')).default
    const flat: string[] = []
    for (const f of pages) {
      const { channels } = await sharp(join(pngDir, f)).stats()
      if (Math.max(...channels.slice(0, 3).map(c => c.stdev)) < 8) flat.push(f)
    }
    expect(flat, 'pages that rasterise to a flat colour').toEqual([])
    // A demo's print state is computed by the demo, not a spinner: the pre-flight table is there.
    const all = spawnSync('pdftotext', ['-layout', out, '-'], { encoding: 'utf8' }).stdout.replace(/[ \t]+/g, ' ')
    expect(all).toMatch(/transformers\.js · tokenizer \+ text encoder wasm ✓/)
  })

  it('leaves no handout behind when the export fails, and says so', () => {
    const partialOut = join(art, 'partial-handout.pdf')
    rmSync(partialOut, { force: true })
    // An exporter that gives up (a 1 ms page timeout): nothing may be left at the destination or beside it.
    const { status, log } = exportHandout(partialOut, '--timeout 1')
    expect(status).not.toBe(0)
    expect(log).toMatch(/The handout was NOT written: the exporter stopped/)
    expect(existsSync(partialOut)).toBe(false)
    expect(readdirSync(art).filter(f => f.startsWith('.partial-'))).toEqual([])
  })

  it('the handout check finds blank pages and pages without their title', async () => {
    const titles: string[] = await slideTitles(ROOT)
    const blank = await PDFDocument.create()
    for (let i = 0; i < titles.length; i++) blank.addPage([960, 540])
    const blankFile = join(art, 'blank.pdf')
    writeFileSync(blankFile, await blank.save())
    const problems: string[] = handoutProblems(blankFile, titles)
    expect(problems.join('; ')).toMatch(/^blank pages: 1, 2, 3/)
    if (existsSync(out)) {
      expect(handoutProblems(out, titles)).toEqual([])
      const shifted = [...titles.slice(1), titles[0]!]
      expect(handoutProblems(out, shifted).join('; ')).toMatch(/pages without their slide's title: 1 /)
    }
    rmSync(blankFile)
  })
})
