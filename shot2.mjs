import { chromium } from 'playwright-core'
import { serveDist } from './tests/lib/server.mjs'
import { CHROMIUM_ARGS, ensureChromium } from './tests/lib/chromium.mjs'
const [text, out] = process.argv.slice(2)
const { createJiti } = await import('jiti')
const jiti = createJiti(import.meta.url)
const { deckSlides } = await jiti.import('./tests/lib/slides.ts')
const no = (await deckSlides()).find(s => s.content.includes(text)).no
const server = await serveDist('dist', {})
const browser = await chromium.launch({ executablePath: ensureChromium(), args: CHROMIUM_ARGS, headless: true })
const page = await browser.newPage({ viewport: { width: 1280, height: 720 } })
await page.goto(`${server.url}/${no}`)
await page.waitForSelector(`[data-slidev-no="${no}"]`)
await page.waitForTimeout(1500)
await page.screenshot({ path: out })
console.log('slide', no)
await browser.close(); await server.close()
