#!/usr/bin/env node
// `npm run bench`: speed and size figures as JSON (no pass/fail: the numbers are for people).
//   build_seconds              slidev build, wall clock
//   first_slide_ms             built deck: navigation start → slide 1 rendered and navigable
//   slide1_js_bytes            JavaScript bytes loaded to show slide 1 (uncompressed)
//   slide1_heavy_libraries     ML libraries loaded for slide 1 (should be none)
//   preflight_wasm / _webgpu   time of each pre-flight check (model load + run) per backend
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { CHROMIUM_ARGS, ensureChromium } from '../lib/chromium.mjs'
import { serveDist } from '../lib/server.mjs'

const root = join(import.meta.dirname, '..', '..')
const out = { machine: { cpus: (await import('node:os')).cpus().length, node: process.version } }

const t0 = Date.now()
const build = spawnSync(join(root, 'node_modules', '.bin', 'slidev'), ['build'], { cwd: root, stdio: 'ignore' })
if (build.status !== 0) {
  console.error('build failed: run `npm run build` to see why')
  process.exit(1)
}
out.build_seconds = +((Date.now() - t0) / 1000).toFixed(1)

const server = await serveDist(join(root, 'dist'))
const exe = ensureChromium()
// ML library chunks: transformers.js and ORT by file name, tfjs by its package name inside the chunk.
const { readFileSync: read, existsSync } = await import('node:fs')
function isHeavy(url) {
  const file = join(root, 'dist', new URL(url).pathname)
  if (/\/(transformers\.web|ort\.[\w.]*min)[-.]/.test(url)) return true
  return existsSync(file) && read(file, 'utf8').includes('@tensorflow/tfjs-core')
}

async function withPage(args, fn) {
  const browser = await chromium.launch({ executablePath: exe, args: [...CHROMIUM_ARGS, ...args] })
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } })
    await page.route('**/*', r => /^https?:\/\/(127\.0\.0\.1|localhost)[:/]/.test(r.request().url()) ? r.continue() : r.abort())
    return await fn(page)
  }
  finally { await browser.close() }
}

// First slide: median of 3 cold loads.
const firsts = []
let js = 0
let heavy = []
for (let i = 0; i < 3; i++) {
  await withPage([], async (page) => {
    const start = Date.now()
    await page.goto(`${server.url}/1`)
    await page.waitForFunction(() => window.__underTheHood?.nav?.current === 1 && document.querySelector('[data-slidev-no="1"] h1'))
    firsts.push(Date.now() - start)
    const res = await page.evaluate(() => performance.getEntriesByType('resource').map(e => ({ name: e.name, size: e.encodedBodySize, type: e.initiatorType })))
    const scripts = res.filter(r => /\.m?js(\?|$)/.test(r.name))
    js = scripts.reduce((s, r) => s + r.size, 0)
    heavy = scripts.filter(r => isHeavy(r.name)).map(r => r.name.replace(server.url, ''))
  })
}
firsts.sort((a, b) => a - b)
out.first_slide_ms = firsts[1]
out.slide1_js_bytes = js
out.slide1_heavy_libraries = heavy

// Pre-flight checks on each backend.
const { parse } = await import('@slidev/parser')
const { readFileSync } = await import('node:fs')
const slides = (await parse(readFileSync(join(root, 'slides.md'), 'utf8'), 'slides.md')).slides
const pre = slides.findIndex(s => s.content.includes('<PreflightCheck')) + 1
for (const [label, args] of [['preflight_wasm', []], ['preflight_webgpu', ['--enable-unsafe-webgpu']]]) {
  out[label] = await withPage(args, async (page) => {
    await page.goto(`${server.url}/${pre}`)
    const frame = page.locator(`[data-slidev-no="${pre}"] .demo-frame`)
    await page.waitForFunction(n => /ready|error/.test(document.querySelector(`[data-slidev-no="${n}"] .demo-frame`)?.getAttribute('data-phase') ?? ''), pre, { timeout: 300_000 })
    const rows = await frame.locator('[data-testid="preflight-table"] tbody tr').evaluateAll(trs => trs.map(tr => [...tr.querySelectorAll('td')].map(td => td.innerText.split('\n')[0])))
    return {
      backend: await frame.getAttribute('data-backend'),
      phase: await frame.getAttribute('data-phase'),
      checks: Object.fromEntries(rows.map(r => [r[0], { backend: r[1], ms: Number.parseInt(r[3]) }])),
    }
  })
}
await server.close()
console.log(JSON.stringify(out, null, 2))
