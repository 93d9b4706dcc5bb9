// Renders Microsoft's Fluent Emoji (flat style; MIT; npm `@iconify-json/fluent-emoji-flat`) to 64×64
// RGBA PNG files named by code point sequence, for the data stage (`training/data.py`).
// Usage: node training/fluent.mjs <node_modules> <out-folder> — reads code point sequences (one per line,
// emoji-datasource's spelling, e.g. 1F44B-1F3FD) on stdin and writes <CODE>.png for each one the set has.
import { readFileSync, mkdirSync, renameSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

const [nodeModules, out] = process.argv.slice(2)
if (!nodeModules || !out) {
  console.error('usage: node training/fluent.mjs <node_modules> <out-folder> < codes.txt')
  process.exit(2)
}
const set = join(nodeModules, '@iconify-json', 'fluent-emoji-flat')
const icons = JSON.parse(readFileSync(join(set, 'icons.json'), 'utf8'))
const chars = JSON.parse(readFileSync(join(set, 'chars.json'), 'utf8'))
const sharp = createRequire(import.meta.url)('sharp') // the project's own, whatever folder the art comes from

// chars.json spells sequences in lower case without the variation selector FE0F.
const key = code => code.toLowerCase().split('-').filter(c => c !== 'fe0f').join('-')
const codes = readFileSync(0, 'utf8').split('\n').map(s => s.trim()).filter(Boolean)
mkdirSync(out, { recursive: true })
let written = 0
for (const code of codes) {
  const name = chars[key(code)]
  const icon = name && icons.icons[name]
  if (!icon)
    continue
  const w = icon.width ?? icons.width ?? 32
  const h = icon.height ?? icons.height ?? 32
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="${icon.left ?? 0} ${icon.top ?? 0} ${w} ${h}">${icon.body}</svg>`
  const file = join(out, `${code}.png`)
  await sharp(Buffer.from(svg), { density: 72 * 64 / Math.max(w, h) }).resize(64, 64).png().toFile(`${file}.tmp`)
  renameSync(`${file}.tmp`, file)
  written++
}
console.log(`fluent: ${written} of ${codes.length} emoji rendered`)
