/**
 * `npm run export`: the PDF handout. Run, where the machine allows it, inside a network namespace
 * that has only a loopback interface, which proves the export needs no network.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from '../lib/deck'
import { deckSlides } from '../lib/slides'

const out = join(ROOT, 'tests', '.artifacts', 'handout.pdf')

function offlineWrapper(): string[] | null {
  const probe = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore' })
  return probe.status === 0 ? ['unshare', '-n', 'sh', '-c'] : null
}

describe('PDF handout', () => {
  it('exports one page per slide, with every slide title in the text, without network', async () => {
    const slides = await deckSlides()
    rmSync(out, { force: true })
    // Export from a cold dependency cache, as on a fresh checkout: if the dev server discovers a package
    // mid-export it reloads the page, and the handout can come out without its text.
    rmSync(join(ROOT, 'node_modules', '.vite', 'deps'), { recursive: true, force: true })
    const wrap = offlineWrapper()
    const cmd = `ip link set lo up 2>/dev/null; exec npm run export -- --output ${JSON.stringify(out)}`
    const r = wrap
      ? spawnSync(wrap[0]!, [...wrap.slice(1), cmd], { cwd: ROOT, encoding: 'utf8', timeout: 600_000 })
      : spawnSync('npm', ['run', 'export', '--', '--output', out], { cwd: ROOT, encoding: 'utf8', timeout: 600_000 })
    if (!wrap)
      console.warn('note: could not create a network namespace here; exported with the network as it is')
    const log = `${r.stdout}\n${r.stderr}`
    expect(r.status, log).toBe(0)
    expect(log, 'a lazily imported package is missing from optimizeDeps.include in vite.config.ts')
      .not.toMatch(/optimized dependencies changed\. reloading/)
    expect(existsSync(out)).toBe(true)

    const info = spawnSync('pdfinfo', [out], { encoding: 'utf8' })
    expect(info.status, 'pdfinfo (poppler-utils) is needed').toBe(0)
    const pages = Number(/Pages:\s+(\d+)/.exec(info.stdout)?.[1])
    expect(pages).toBe(slides.length)

    // Quotes may come out typographic (’ “ ”) in the PDF: compare them as plain quotes.
    const quotes = (s: string) => s.replace(/[‘’]/g, '\'').replace(/[“”]/g, '"')
    const text = quotes(spawnSync('pdftotext', ['-layout', out, '-'], { encoding: 'utf8' }).stdout).replace(/\s+/g, ' ')
    const plain = (s: string) => quotes(s).replace(/\*\*|`|\$[^$]*\$/g, '').replace(/\s+/g, ' ').trim()
    const missing = slides.map(s => plain(s.heading)).filter(h => !text.includes(h))
    expect(missing, `PDF text begins: ${text.slice(0, 400)}\nexporter log ends: ${log.slice(-1500)}`).toEqual([])
    // A demo's print state is computed by the demo, not a spinner: the pre-flight table is there.
    expect(text).toMatch(/transformers\.js · tokenizer \+ text encoder wasm ✓/)
  })
})
