// Checks an exported handout against the deck: one page per slide, and each page's text carries its
// slide's title. Used by `npm run export` (scripts/export.mjs), which keeps only a handout that passes.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { load } from '@slidev/parser/fs'

/** Each slide's title as it reads in a PDF: no markdown, no maths, plain quotes. */
export async function slideTitles(root) {
  const file = join(root, 'slides.md')
  const deck = await load({ roots: [root], userRoot: root }, file) // follows the sections' `src:` imports
  return deck.slides.map(s => plain(/^#\s+(.+)$/m.exec(s.content)?.[1] ?? ''))
}

export function plain(s) {
  return quotes(s).replace(/\*\*|`|\$[^$]*\$/g, '').replace(/\s+/g, ' ').trim()
}

// Quotes may come out typographic in the PDF, and Inter's hyphen is extracted as a soft hyphen, which
// pdftotext drops ("Pre-training" reads "Pretraining"): compare with plain quotes and without hyphens.
function quotes(s) {
  return s.replace(/[‘’]/g, '\'').replace(/[“”]/g, '"').replace(/[-\u00AD]/g, '')
}

/** Problems with `pdf` (empty when it is complete), or null when poppler's tools are missing. */
export function handoutProblems(pdf, titles) {
  const info = spawnSync('pdfinfo', [pdf], { encoding: 'utf8' })
  if (info.error) return null
  const pages = Number(/Pages:\s+(\d+)/.exec(info.stdout)?.[1] ?? 0)
  const problems = []
  if (pages !== titles.length) problems.push(`${pages} pages for ${titles.length} slides`)
  const blank = []
  const untitled = []
  for (let i = 1; i <= Math.min(pages, titles.length); i++) {
    const text = quotes(spawnSync('pdftotext', ['-f', String(i), '-l', String(i), '-layout', pdf, '-'], { encoding: 'utf8' }).stdout).replace(/\s+/g, ' ').trim()
    if (!text) blank.push(i)
    // A long title wraps where the browser chose (after a dash, say): compare without the spaces.
    else if (titles[i - 1] && !text.replace(/ /g, '').includes(titles[i - 1].replace(/ /g, ''))) untitled.push(`${i} ("${titles[i - 1]}")`)
  }
  if (blank.length) problems.push(`blank pages: ${blank.join(', ')}`)
  if (untitled.length) problems.push(`pages without their slide's title: ${untitled.slice(0, 10).join(', ')}${untitled.length > 10 ? ' …' : ''}`)
  return problems
}
