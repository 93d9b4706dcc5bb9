#!/usr/bin/env node
// `npm run export [-- --output file.pdf]`: the PDF handout, one page per slide, from the same deck.
// Uses Debian's (or any found) Chromium instead of a downloaded one; needs no network. Demos render
// their print state (computed by the demo itself) and the exporter waits for it.
import { spawnSync } from 'node:child_process'
import { ensureChromium } from '../tests/lib/chromium.mjs'

const args = process.argv.slice(2)
if (!args.includes('--output')) args.push('--output', 'under-the-hood-handout.pdf')
let chromium
try {
  chromium = ensureChromium()
}
catch (e) {
  console.error(e.message)
  process.exit(2)
}
const r = spawnSync(process.execPath, ['node_modules/@slidev/cli/bin/slidev.mjs', 'export', 'slides.md',
  '--executable-path', chromium, '--timeout', '180000', ...args], { stdio: 'inherit' })
process.exit(r.status ?? 1)
