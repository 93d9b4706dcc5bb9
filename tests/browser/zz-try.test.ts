import { describe, expect, it } from 'vitest'
import { deckPage } from '../lib/deck'
import { deckSlides } from '../lib/slides'
const slides = await deckSlides()
const no = slides.find(s => s.content.includes('<ReverseDiffusion'))!.no
describe('try', () => {
  const s = deckPage()
  it('syncs', async () => {
    const { page, context } = s.w
    const aud = await context.newPage()
    aud.on('pageerror', e => console.log('AUD ERR', e.message))
    aud.on('console', m => { if (m.type() === 'error') console.log('AUD CONSOLE', m.text()) })
    await page.goto(`${s.deck.url}/presenter/${no}`)
    await aud.goto(`${s.deck.url}/${no}`)
    const html = await page.evaluate(() => [...document.querySelectorAll('.demo-frame')].map(e => `${e.closest('[data-slidev-no]')?.getAttribute('data-slidev-no')} ${e.getAttribute('data-demo')} ${e.getAttribute('data-phase')} ${e.parentElement?.className}`))
    console.log(html)
    const pf = page.locator(`[data-slidev-no="${no}"] .demo-frame`).first()
    const af = aud.locator(`[data-slidev-no="${no}"] .demo-frame`)
    await expect.poll(() => pf.getAttribute('data-phase'), { timeout: 60000 }).toBe('ready')
    await expect.poll(() => af.getAttribute('data-phase'), { timeout: 60000 }).toBe('ready')
    await pf.getByTestId('reverse-prompt').fill('rocket')
    await pf.getByTestId('reverse-steps').fill('8')
    await expect.poll(() => af.getByTestId('reverse-prompt').inputValue()).toBe('rocket')
    await pf.getByTestId('reverse-play').click()
    await expect.poll(() => pf.getByTestId('reverse-panels').getAttribute('data-final-latent'), { timeout: 60000 }).not.toBe('')
    await expect.poll(() => af.getByTestId('reverse-panels').getAttribute('data-final-latent'), { timeout: 60000 }).not.toBe('')
    expect(await af.getByTestId('reverse-panels').getAttribute('data-final-latent')).toBe(await pf.getByTestId('reverse-panels').getAttribute('data-final-latent'))
    await af.getByTestId('reverse-prompt').fill('cat face')
    await expect.poll(() => pf.getByTestId('reverse-prompt').inputValue()).toBe('cat face')
    console.log(s.w.pageErrors, s.w.consoleErrors)
  })
})
