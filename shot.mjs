import { chromium } from 'playwright-core'
import { serveDist } from './tests/lib/server.mjs'
import { CHROMIUM_ARGS, ensureChromium } from './tests/lib/chromium.mjs'
const [comp, mode = 'live', out = '/tmp/s.png', action = ''] = process.argv.slice(2)
const { createJiti } = await import('jiti')
const jiti = createJiti(import.meta.url)
const { deckSlides } = await jiti.import('./tests/lib/slides.ts')
const no = (await deckSlides()).find(s => s.content.includes(`<${comp}`)).no
const server = await serveDist('dist', {})
const browser = await chromium.launch({ executablePath: ensureChromium(), args: CHROMIUM_ARGS, headless: true })
const page = await browser.newPage({ viewport: { width: 1280, height: 720 } })
page.on('console', m => { if (m.type() === 'error') console.log('console:', m.text()) })
page.on('pageerror', e => console.log('pageerror:', e.message))
if (mode === 'print') {
  await page.goto(`${server.url}/${no}?print=true&backend=wasm`)
  await page.waitForSelector(`[data-slidev-no="${no}"] .demo-print-ready`, { timeout: 180000 })
} else {
  await page.goto(`${server.url}/${no}?backend=wasm`)
  await page.waitForFunction(n => /ready|error/.test(document.querySelector(`[data-slidev-no="${n}"] .demo-frame`)?.getAttribute('data-phase') ?? ''), no, { timeout: 180000 })
  if (action) await eval(action)
}
await page.waitForTimeout(800)
await page.screenshot({ path: out })
console.log('slide', no)
await browser.close(); await server.close()
