#!/usr/bin/env node
// `npm run bench`: speed and size figures as JSON (no pass/fail: the numbers are for people).
//   build_seconds              slidev build, wall clock
//   first_slide_ms             built deck: navigation start → slide 1 rendered and navigable
//   slide1_js_bytes            JavaScript bytes loaded to show slide 1 (uncompressed)
//   slide1_heavy_libraries     ML libraries loaded for slide 1 (should be none)
//   preflight_wasm / _webgpu   time of each pre-flight check (model load + run) per backend
//   diffusion_wasm             one denoiser call (batch 2) and a 30-step generation (goal: ≤ 25 ms/step, ≤ 1 s/image)
//   diffusion_webgpu_step      one denoiser call on WebGPU (here a software adapter: one step only, it is slow)
//   longest_task_ms            the longest main-thread task while the tokenizer takes a 100,000-character paste
//                              and while the latent-space demo takes an 8000×8000 photo (goal: ≤ 200 ms each)
//   clip_wasm                  CLIP matrix 8 prompts × 8 images (goal ≤ 150 ms), embedding one phrase
//   tokenizer                  update for a 2,000-character text (goal ≤ 16 ms), worker round trip and compute
//   projector                  redraw of all points (WebGL), PCA layout
//   micro_gpt_step             one micro-GPT forward pass
//   forward_scrub              one forward-diffusion update of a 64×64 image (goal ≤ 16 ms)
//   tiny_network               one frame of the live-trained network: a step + boundary + weights (goal ≤ 16 ms)
//   gan_2d                     one frame of the live 2-D GAN: two steps (D and G each) + samples + D's verdict (goal ≤ 16 ms)
//   image_gan                  micro-GAN: one picture (one generator pass), the demo's grid of 8, loading its snapshots
//   lora                       LoRA: load + check an adapter, merge it into the UNet (TypeScript), the merged session,
//                              a 30-step generation with it and without (the slider's cost per strength change)
//   video                      micro-video: one denoiser call for an 8-frame clip, one decoder pass of 8 frames, a whole
//                              8-frame 20-step clip (goal ≤ 5 s), and the same with every step's predicted frames
//                              decoded (the live filmstrip), and with its noisy frames too (the step-through slide), on WASM
//   audio                      micro-audio: one denoiser call, a whole 2-second sound (30 steps) and one Griffin–Lim
//                              pass (32 iterations) on its picture, on WASM
//   griffin_lim                one Griffin–Lim iteration on 2.4 s of sound (the vocoder slide runs 32 of them)
//   guided                     CLIP-guided generation: one gradient step through decoder + CLIP (tfjs), a 100-step run
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
const { load } = await import('@slidev/parser/fs')
const slides = (await load({ roots: [root], userRoot: root }, join(root, 'slides.md'))).slides
const pre = slides.findIndex(s => s.content.includes('<PreflightCheck')) + 1
for (const [label, args, query] of [['preflight_wasm', [], ''], ['preflight_webgpu', ['--enable-unsafe-webgpu'], '?backend=webgpu']]) {
  out[label] = await withPage(args, async (page) => {
    await page.goto(`${server.url}/${pre}${query}`)
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
// Engine timings in Chromium (demos/bench/run.ts), WASM and WebGPU (software adapter here: correct, not fast).
async function engines(args, fn) {
  return withPage(args, async (page) => {
    await page.goto(`${server.url}/1?bench`)
    await page.waitForFunction(() => window.__underTheHood?.bench)
    return page.evaluate(fn)
  })
}
const call = name => `(async () => { const b = await window.__underTheHood.bench(); return b.${name} })()`
out.diffusion_wasm = await engines([], call(`diffusion('wasm')`))
out.diffusion_webgpu_step = await engines(['--enable-unsafe-webgpu'], call(`diffusionStep('webgpu')`))
out.clip_wasm = await engines([], call(`clipMatrix('wasm')`))
out.tokenizer = await engines([], call('tokenizer()'))
out.projector = await engines([], call('projector()'))
out.micro_gpt_step = await engines([], call('gptStep()'))
out.forward_scrub = await engines([], call('forwardScrub()'))
out.tiny_network = await engines([], call('tinyNetwork()'))
out.gan_2d = await engines([], call('gan2d()'))
out.image_gan = await engines([], call(`imageGan('wasm')`))
out.lora = await engines([], call(`lora('wasm')`))
out.video = await engines([], call(`video('wasm')`))
out.audio = await engines([], call(`audio('wasm')`))
out.griffin_lim = await engines([], call('griffinLim()'))
out.guided = await engines([], call('guided()'))

// Main-thread freezes while a demo takes a big input (figures, not asserts: these machines are noisy).
const noOf = name => slides.findIndex(s => s.content.includes(`<${name}`)) + 1
async function longestTask(component, act) {
  return withPage([], async (page) => {
    const no = noOf(component)
    await page.goto(`${server.url}/${no}`)
    const frame = page.locator(`[data-slidev-no="${no}"] .demo-frame`)
    await page.waitForFunction(n => document.querySelector(`[data-slidev-no="${n}"] .demo-frame`)?.getAttribute('data-phase') === 'ready', no, { timeout: 120_000 })
    await page.evaluate(() => {
      window.__long = []
      new PerformanceObserver(l => l.getEntries().forEach(e => window.__long.push(e.duration))).observe({ type: 'longtask' })
    })
    await act(frame, page)
    return Math.round(Math.max(0, ...await page.evaluate(() => window.__long)))
  })
}
const novel = 'Call me Ishmael. Some years ago — never mind how long precisely — '.repeat(1600).slice(0, 100_000)
const sharp = (await import('sharp')).default
const huge = await sharp({ create: { width: 8000, height: 8000, channels: 3, background: { r: 200, g: 60, b: 40 } } }).jpeg().toBuffer()
out.longest_task_ms = {
  tokenizer_100k_paste: await longestTask('TokenizerPlayground', async (frame) => {
    await frame.getByTestId('tok-text').fill(novel)
    await frame.getByTestId('tok-more-0').waitFor({ timeout: 60_000 })
  }),
  latent_8000px_photo: await longestTask('LatentSpace', async (frame) => {
    await frame.getByTestId('latent-file').setInputFiles({ name: 'huge.jpg', mimeType: 'image/jpeg', buffer: huge })
    await frame.getByText(/huge\.jpg \(8000×8000, shrunk to 32×32\)/).waitFor({ timeout: 60_000 })
  }),
}
await server.close()
console.log(JSON.stringify(out, null, 2))
