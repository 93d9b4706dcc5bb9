#!/usr/bin/env node
// `npm run export [-- --output file.pdf]`: the PDF handout, one page per slide, from the same deck.
// Uses Debian's (or any found) Chromium instead of a downloaded one; needs no network. Demos render
// their print state (computed by the demo itself) and the exporter waits for it (setup/printGate.ts).
// The handout is written beside its destination first and checked (scripts/handout.mjs): only a
// complete one replaces the destination; otherwise the command fails and says what was missing.
import { spawnSync } from 'node:child_process'
import { existsSync, renameSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { ensureChromium } from '../tests/lib/chromium.mjs'
import { handoutProblems, slideTitles } from './handout.mjs'

const root = join(import.meta.dirname, '..')
const args = process.argv.slice(2)
const at = args.indexOf('--output')
const output = resolve(at >= 0 && args[at + 1] ? args.splice(at, 2)[1] : 'under-the-hood-handout.pdf')
const partial = join(dirname(output), `.partial-${process.pid}-${output.split('/').pop()}`)
let chromium
try {
  chromium = ensureChromium()
}
catch (e) {
  console.error(e.message)
  process.exit(2)
}
const fail = (why) => {
  rmSync(partial, { force: true })
  console.error(`\nThe handout was NOT written: ${why}`)
  process.exit(1)
}
const timeout = args.includes('--timeout') ? [] : ['--timeout', '180000']
const r = spawnSync(process.execPath, [join(root, 'node_modules/@slidev/cli/bin/slidev.mjs'), 'export', 'slides.md',
  '--executable-path', chromium, ...timeout, '--output', partial, ...args], { stdio: 'inherit', cwd: root })
if (r.status !== 0 || !existsSync(partial)) fail(`the exporter stopped (exit code ${r.status ?? r.signal}).`)
const problems = handoutProblems(partial, await slideTitles(root))
if (problems === null)
  console.warn('note: pdftotext/pdfinfo (poppler-utils) not found, so the handout\'s pages were not checked.')
else if (problems.length) fail(problems.join('; '))
renameSync(partial, output)
console.log(`handout: ${output}`)
