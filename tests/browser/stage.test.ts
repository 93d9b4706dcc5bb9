/**
 * The stage: every demo follows the presenter between windows. For each demo, the presenter view
 * (/presenter/N) and the audience window (/N) are open side by side in one browser, as on a laptop with a
 * projector; a change in either shows the same result in the other. Then the rules of the sync itself:
 * previews load no model, two windows typing at once agree on the last change, a model that fails in one
 * window leaves the other working, and stray sync messages are ignored.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Locator, Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import type { Watched } from '../lib/deck'
import { deckPage, demoFrame, ready, ROOT, siblingPage } from '../lib/deck'
import { deckSlides } from '../lib/slides'
import { wav } from '../lib/sound'
import { exportHtml } from '../../packages/slidev-addon-under-the-hood/demos/gallery/store'

const slides = await deckSlides()
const slideOf = (component: string) => slides.find(s => s.content.includes(`<${component}`))!.no
const PANDA = readFileSync(join(ROOT, 'packages', 'slidev-addon-under-the-hood', 'images', 'emoji', '1f43c.png'))

/** Text of the matched elements' attribute, joined: a compact picture of what a demo shows. */
const attrs = (frame: Locator, selector: string, name: string) =>
  frame.locator(selector).evaluateAll((els, n) => els.map(e => e.getAttribute(n) ?? '').join('|'), name)
const srcs = (frame: Locator, selector: string) => attrs(frame, `${selector} img`, 'src')

interface StageCase {
  component: string
  /** Console errors this case provokes on purpose (a missing model's 404). */
  expectedConsole?: RegExp
  /** What the demo shows, as a string: equal strings = the same result. */
  shows: (frame: Locator) => Promise<string>
  /** A change made in one window, then another made in the other window. */
  first: (frame: Locator) => Promise<void>
  second: (frame: Locator) => Promise<void>
  timeout?: number
}

const CASES: StageCase[] = [
  {
    component: 'TokenizerPlayground',
    shows: async f => `${await f.getByTestId('tok-text').inputValue()}#${await f.getByTestId('tok-select-1').inputValue()}#${await attrs(f, '[data-testid^="tok-side-"]', 'data-tokens')}#${(await f.locator('.tp__chips').allInnerTexts()).join('|')}`,
    first: f => f.getByTestId('tok-text').fill('Quiet on set. Action!'),
    second: async (f) => { await f.getByTestId('tok-select-1').selectOption('micro-gpt') },
  },
  {
    component: 'EmbeddingProjector',
    shows: async f => `${await f.getByTestId('proj-query').inputValue()}#${await f.getByTestId('proj-neighbours').innerText()}`,
    first: f => f.getByTestId('proj-query').fill('blue'),
    second: f => f.getByTestId('proj-query').fill('whale'),
  },
  {
    component: 'AttentionHeatmap',
    shows: async f => `${await f.getByTestId('attention-layer').inputValue()}#${await attrs(f, '[data-testid="attention-grid"] rect', 'data-w')}`,
    first: f => f.getByTestId('attention-text').fill('The captain saw the whale. He'),
    second: async (f) => { await f.getByTestId('attention-layer').selectOption('2') },
  },
  {
    component: 'NextWordPredictor',
    shows: async f => `${await f.getByTestId('next-word-text').inputValue()}#${await attrs(f, '.nwp__p', 'data-p')}`,
    first: f => f.getByTestId('next-word-text').fill('The sea'),
    second: async (f) => {
      await f.getByTestId('next-word-seed').fill('5')
      await f.getByTestId('next-word-sample').click()
    },
  },
  {
    component: 'TinyNetwork',
    shows: async (f) => {
      const n = f.getByTestId('tiny-network')
      return `${await n.getAttribute('data-steps')}#${await n.getAttribute('data-loss')}#${await f.getByTestId('tiny-plot').getAttribute('data-points')}`
    },
    first: async (f) => {
      await f.getByTestId('tiny-train').click()
      await expect.poll(async () => Number(await f.getByTestId('tiny-network').getAttribute('data-steps')), { timeout: 60_000 }).toBeGreaterThan(40)
      await f.getByTestId('tiny-pause').click()
    },
    second: async (f) => {
      await f.getByTestId('tiny-plot').click({ position: { x: 30, y: 30 } })
      await f.getByTestId('tiny-step').click()
    },
  },
  {
    component: 'TinyGan',
    shows: async (f) => {
      const g = f.getByTestId('tiny-gan')
      return `${await g.getAttribute('data-updates')}#${await g.getAttribute('data-d-loss')}#${await g.getAttribute('data-g-loss')}#${await attrs(f, '[data-testid="gan-plot"] circle[fill="#e8590c"]', 'cx')}`
    },
    first: async (f) => {
      await f.getByTestId('gan-play').click()
      await expect.poll(async () => Number(await f.getByTestId('tiny-gan').getAttribute('data-updates')), { timeout: 60_000 }).toBeGreaterThan(60)
      await f.getByTestId('gan-pause').click()
    },
    second: async (f) => {
      await f.getByTestId('gan-step-d').click()
      await f.getByTestId('gan-step-g').click()
    },
  },
  {
    component: 'ClipMatrix',
    shows: async f => `${await f.getByTestId('clip-prompts').inputValue()}#${await attrs(f, 'td[data-sim]', 'data-sim')}`,
    first: f => f.getByTestId('clip-prompts').fill('red apple\npanda face\ncastle'),
    second: f => f.getByTestId('clip-file').setInputFiles({ name: 'my-panda.png', mimeType: 'image/png', buffer: PANDA }),
  },
  {
    component: 'ForwardDiffusion',
    shows: async (f) => {
      const pixels = await f.locator('canvas').evaluateAll(cs => (cs as HTMLCanvasElement[]).map((c) => {
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data
        let h = 0
        for (let i = 0; i < d.length; i++) h = (h * 31 + d[i]!) | 0
        return h
      }).join(','))
      return `${await f.getByTestId('forward-step').innerText()}#${pixels}`
    },
    first: f => f.getByTestId('forward-t').fill('400'),
    second: async (f) => { await f.getByTestId('forward-image').selectOption('2') },
  },
  {
    component: 'ReverseDiffusion',
    shows: async f => `${await f.getByTestId('reverse-prompt').inputValue()}#${await f.getByTestId('reverse-guidance').inputValue()}#${await f.getByTestId('reverse-panels').getAttribute('data-final-latent')}`,
    first: async (f) => {
      await f.getByTestId('reverse-prompt').fill('rocket')
      await f.getByTestId('reverse-steps').fill('8')
      await f.getByTestId('reverse-play').click()
      await expect.poll(() => f.getByTestId('reverse-panels').getAttribute('data-final-latent'), { timeout: 60_000 }).not.toBe('')
    },
    second: async (f) => {
      await f.getByTestId('reverse-seed').fill('3')
      await f.getByTestId('reverse-guidance').fill('2.5') // moved off the model's own weight: the other window follows
      await f.getByTestId('reverse-play').click()
      await expect.poll(() => f.getByTestId('reverse-panels').getAttribute('data-final-latent'), { timeout: 60_000 }).not.toBe('')
    },
  },
  {
    component: 'GuidanceSeeds',
    shows: async f => `${await f.getByTestId('gs-prompt').inputValue()}#${await srcs(f, '[data-testid="gs-strip"], [data-testid="gs-grid"]')}`,
    first: async (f) => {
      await f.getByTestId('gs-prompt').fill('rocket')
      await f.getByTestId('gs-run').click()
    },
    second: async (f) => {
      await f.getByTestId('gs-mode-grid').click()
      await f.getByTestId('gs-run').click()
    },
    timeout: 180_000,
  },
  {
    component: 'LatentSpace',
    shows: async f => `${await f.getByTestId('latent-psnr').innerText()}#${await f.getByTestId('latent-output').getAttribute('src')}`,
    first: f => f.getByTestId('latent-preset-2').click(),
    second: f => f.getByTestId('latent-file').setInputFiles({ name: 'my-panda.png', mimeType: 'image/png', buffer: PANDA }),
  },
  {
    component: 'SpectrogramView',
    shows: async f => `${await f.getByTestId('spectrogram').getAttribute('data-chosen')}#${await f.getByTestId('sg-image').getAttribute('src')}`,
    first: f => f.getByTestId('sg-whistle').click(),
    second: f => f.getByTestId('sg-file').setInputFiles({ name: 'tone.wav', mimeType: 'audio/wav', buffer: wav(1000, 1) }),
  },
  {
    component: 'SpectrogramVocoder',
    shows: async f => `${await f.getByTestId('vocoder').getAttribute('data-iterations')}#${await f.getByTestId('vocoder').getAttribute('data-distance')}#${await f.getByTestId('voc-rebuilt').getAttribute('src')}`,
    first: async (f) => {
      await f.getByTestId('voc-whistle').click()
      await expect.poll(() => f.getByTestId('vocoder').getAttribute('data-ready'), { timeout: 60_000 }).toBe('yes')
    },
    second: async (f) => {
      await f.getByTestId('voc-iterations').selectOption('4')
      await expect.poll(() => f.getByTestId('vocoder').getAttribute('data-iterations'), { timeout: 60_000 }).toBe('4')
      await expect.poll(() => f.getByTestId('vocoder').getAttribute('data-ready'), { timeout: 60_000 }).toBe('yes')
    },
  },
  {
    component: 'SpectrogramPainter',
    shows: async f => `${await f.getByTestId('painter').getAttribute('data-strokes')}#${await f.getByTestId('paint-picture').getAttribute('src')}`,
    first: f => f.getByTestId('paint-rising').click(),
    second: f => f.getByTestId('paint-clear').click(),
  },
  {
    component: 'AudioDiffusion',
    shows: async f => `${await f.getByTestId('audio-diffusion').getAttribute('data-final')}#${await f.getByTestId('audio-prompt').inputValue()}`,
    first: async (f) => {
      await f.getByTestId('audio-steps').fill('4')
      await f.getByTestId('audio-generate').click()
    },
    second: async (f) => {
      await f.getByTestId('audio-prompt').fill('rain')
      await f.getByTestId('audio-prompt').press('Enter')
    },
  },
  {
    component: 'VideoScale',
    shows: async f => `${await f.getByTestId('video-scale').getAttribute('data-values')}#${await f.getByTestId('scale-seconds').inputValue()}#${await f.getByTestId('scale-row-pairs').innerText()}`,
    first: f => f.getByTestId('scale-micro').click(),
    second: f => f.getByTestId('scale-film').click(),
  },
  {
    component: 'FrameFlicker',
    shows: async f => `${await f.getByTestId('flicker').getAttribute('data-key')}#${await srcs(f, '[data-testid="flicker-own"]')}#${await srcs(f, '[data-testid="flicker-shared"]')}`,
    first: f => f.getByTestId('flicker-seed').fill('5'),
    second: f => f.getByTestId('flicker-prompt').fill('cat face'),
  },
  {
    component: 'MuybridgeLoop',
    shows: async f => `${await f.getByTestId('muybridge').getAttribute('data-playing')}#${await f.getByTestId('muybridge').getAttribute('data-frame')}`,
    first: f => f.getByTestId('muybridge-play').click(),
    second: f => f.getByTestId('muybridge-frame').fill('7'),
  },
  {
    component: 'VideoDiffusion',
    shows: async f => `${await f.getByTestId('video-diffusion').getAttribute('data-final')}#${await f.getByTestId('video-prompt').inputValue()}`,
    first: async (f) => {
      await f.getByTestId('video-steps').fill('3')
      await f.getByTestId('video-generate').click()
    },
    second: async (f) => {
      await f.getByTestId('video-prompt').fill('cat face moving left')
      await f.getByTestId('video-prompt').press('Enter')
    },
  },
  {
    component: 'PromptBuilder',
    shows: async (f) => {
      await expect.poll(() => f.getByTestId('prompt-builder').getAttribute('data-busy'), { timeout: 120_000 }).toBe('no')
      return `${await f.getByTestId('pb-style').inputValue()}#${await f.getByTestId('pb-seed').inputValue()}#${await attrs(f, '[data-testid^="pb-image-"]', 'src')}`
    },
    first: async (f) => {
      await f.getByTestId('pb-style').fill('night')
      await expect.poll(() => f.getByTestId('prompt-builder').getAttribute('data-busy'), { timeout: 120_000 }).toBe('no')
    },
    second: f => f.getByTestId('pb-seed').fill('5'),
    timeout: 240_000,
  },
  {
    component: 'WorkshopGallery',
    shows: async f => `${await f.getByTestId('gallery').getAttribute('data-count')}#${await f.getByTestId('gallery-author').inputValue()}#${(await f.getByTestId('gallery-card').allInnerTexts()).join('|')}`,
    first: async (f) => {
      const png = `data:image/png;base64,${PANDA.toString('base64')}`
      const file = exportHtml([{ id: 'stage-1', image: png, prompt: 'panda from another room', source: 'test', settings: {}, author: '', at: 1 }])
      await f.getByTestId('gallery-import').setInputFiles({ name: 'g.html', mimeType: 'text/html', buffer: Buffer.from(file) })
      await expect.poll(() => f.getByTestId('gallery').getAttribute('data-count')).toBe('1')
    },
    second: f => f.getByTestId('gallery-author').fill('Ada'),
  },
  {
    component: 'GuidedGeneration',
    shows: async (f) => {
      const g = f.getByTestId('guided')
      await expect.poll(() => g.getAttribute('data-running'), { timeout: 120_000 }).toBe('no')
      return `${await f.getByTestId('guided-prompt').inputValue()}#${await g.getAttribute('data-iterations')}#${Number(await g.getAttribute('data-similarity')).toFixed(4)}`
    },
    first: async (f) => {
      await f.getByTestId('guided-iterations').fill('6')
      await f.getByTestId('guided-generate').click()
      await expect.poll(() => f.getByTestId('guided').getAttribute('data-iterations'), { timeout: 120_000 }).toBe('6')
    },
    second: f => f.getByTestId('guided-prompt').fill('castle'),
    timeout: 240_000,
  },
  {
    component: 'ImageGan',
    shows: async f => `${await f.getByTestId('gan-image-grid').getAttribute('data-index')}#${await srcs(f, '[data-testid="gan-image-grid"]')}#${await f.getByTestId('gan-image-walk').getAttribute('data-count')}#${await srcs(f, '[data-testid="gan-image-walk"]')}`,
    first: f => f.getByTestId('gan-image-scrub').fill('2'),
    second: f => f.getByTestId('gan-image-from').fill('9'),
  },
  {
    component: 'LoraAdapter',
    shows: async f => `${await f.getByTestId('lora-image').getAttribute('data-key')}#${await f.getByTestId('lora-image').getAttribute('src')}#${await f.getByTestId('lora-base').getAttribute('src')}`,
    first: f => f.getByTestId('lora-strength').fill('0.5'),
    second: f => f.getByTestId('lora-prompt').fill('red apple'),
  },
  {
    component: 'BiasProbe',
    shows: async f => `${await f.getByTestId('bias-caption').inputValue()}#${await f.getByTestId('bias-probe').getAttribute('data-counts')}`,
    first: f => f.getByTestId('bias-caption').fill('a person at work'),
    second: f => f.getByTestId('bias-default').click(),
  },
  {
    component: 'MemorisationProbe',
    shows: async f => `${await f.getByTestId('memo-prompt').inputValue()}#${await f.getByTestId('memo-seed').inputValue()}#${await f.getByTestId('memorisation-probe').getAttribute('data-nearest')}`,
    first: f => f.getByTestId('memo-prompt').fill('pizza'),
    second: f => f.getByTestId('memo-seed').fill('2'),
  },
  {
    component: 'PreflightCheck',
    expectedConsole: /404 \(Not Found\)/,
    shows: async f => `${await f.getByTestId('preflight-model').inputValue()}#${await f.getAttribute('data-phase')}#${await attrs(f, '[data-testid="preflight-table"] tr[data-ok]', 'data-ok')}`,
    first: async (f) => {
      await f.getByTestId('preflight-model').fill('no-such-model')
      await f.getByRole('button', { name: 'Check' }).click()
    },
    second: async (f) => {
      await f.getByTestId('preflight-model').fill('micro-clip')
      await f.getByRole('button', { name: 'Check' }).click()
    },
    timeout: 180_000,
  },
]

/** Waits until both windows show the same thing, different from `before`; returns it. */
async function agree(a: Locator, b: Locator, shows: StageCase['shows'], before: string, timeout: number): Promise<string> {
  let last = ''
  try {
    await expect.poll(async () => {
      const [x, y] = [await shows(a), await shows(b)]
      last = `this window: ${x.slice(0, 400)}\nthe other:   ${y.slice(0, 400)}`
      return x === y && x !== before
    }, { timeout, interval: 300 }).toBe(true)
  }
  catch {
    throw new Error(`the windows did not come to show the same new result:\n${last}`)
  }
  return shows(a)
}

async function openStage(w: Watched, url: string, no: number): Promise<{ presenter: Page, audience: Watched }> {
  await w.page.goto(`${url}/presenter/${no}`)
  const audience = await siblingPage(w)
  await audience.page.goto(`${url}/${no}`)
  return { presenter: w.page, audience }
}

describe('every demo follows the presenter (presenter view and audience window in one browser)', () => {
  const s = deckPage()

  for (const c of CASES) {
    it(`${c.component}: a change in either window shows the same result in the other`, async () => {
      const no = slideOf(c.component)
      const { presenter, audience } = await openStage(s.w, s.deck.url, no)
      const timeout = c.timeout ?? 90_000
      const p = await ready(presenter, no)
      const a = await ready(audience.page, no)
      const start = await agree(p, a, c.shows, '\u0000', timeout)
      await c.first(p)
      const afterFirst = await agree(p, a, c.shows, start, timeout)
      await c.second(a)
      await agree(a, p, c.shows, afterFirst, timeout)
      expect(s.w.pageErrors).toEqual([])
      expect(audience.pageErrors).toEqual([])
      const unexpected = (errors: string[]) => errors.filter(e => !c.expectedConsole?.test(e))
      expect(unexpected(s.w.consoleErrors)).toEqual([])
      expect(unexpected(audience.consoleErrors)).toEqual([])
      s.w.consoleErrors.length = 0
      expect(s.w.external).toEqual([])
      await audience.page.close()
    })
  }
})

describe('the sync itself', () => {
  const s = deckPage()
  const reverse = slideOf('ReverseDiffusion')

  it('the next-slide preview and the overview load no model', async () => {
    const requested: string[] = []
    s.w.page.on('request', r => requested.push(new URL(r.url()).pathname))
    await s.w.page.goto(`${s.deck.url}/presenter/${reverse - 1}`)
    // The preview of the diffusion slide is rendered (its frame is there), idle.
    const preview = demoFrame(s.w.page, reverse)
    await expect.poll(() => preview.getAttribute('data-phase'), { timeout: 30_000 }).toBe('idle')
    await s.w.page.goto(`${s.deck.url}/overview`)
    await expect.poll(() => s.w.page.locator(`[data-slidev-no="${reverse}"] .demo-frame`).count(), { timeout: 30_000 }).toBeGreaterThan(0)
    expect(requested.filter(p => p.includes('/models/micro-diffusion/'))).toEqual([])
    expect(s.w.pageErrors).toEqual([])
  })

  it('two presenter windows typing at once: both end with the same text, nothing crashes', async () => {
    const no = slideOf('AttentionHeatmap')
    await s.w.page.goto(`${s.deck.url}/presenter/${no}`)
    const other = await siblingPage(s.w)
    await other.page.goto(`${s.deck.url}/presenter/${no}`)
    const [a, b] = [await ready(s.w.page, no), await ready(other.page, no)]
    await Promise.all([
      a.getByTestId('attention-text').pressSequentially('aaaa aaaa aaaa', { delay: 15 }),
      b.getByTestId('attention-text').pressSequentially('bbbb bbbb bbbb', { delay: 15 }),
    ])
    let texts: string[] = []
    await expect.poll(async () => {
      texts = [await a.getByTestId('attention-text').inputValue(), await b.getByTestId('attention-text').inputValue()]
      return texts[0] === texts[1]
    }, { timeout: 20_000 }).toBe(true)
    expect(texts[0]).toMatch(/a|b/)
    expect([...s.w.pageErrors, ...other.pageErrors]).toEqual([])
    await other.page.close()
  })

  it('a model that fails in one window shows its error there; the other window works and still follows', async () => {
    const no = slideOf('NextWordPredictor')
    const broken = await siblingPage(s.w)
    await broken.page.route('**/models/micro-gpt/**', r => r.fulfill({ status: 404, body: 'gone' }))
    await s.w.page.goto(`${s.deck.url}/presenter/${no}`)
    await broken.page.goto(`${s.deck.url}/${no}`)
    const good = await ready(s.w.page, no)
    const bad = demoFrame(broken.page, no)
    await expect.poll(() => bad.getAttribute('data-phase'), { timeout: 60_000 }).toBe('error')
    await expect.poll(() => bad.getByTestId('demo-error').innerText()).toMatch(/micro-gpt/)
    // The broken window still follows the controls, and the working one still computes.
    await bad.getByTestId('next-word-text').fill('Call me')
    await expect.poll(() => good.getByTestId('next-word-text').inputValue()).toBe('Call me')
    await expect.poll(() => attrs(good, '.nwp__p', 'data-p')).not.toBe('')
    expect(await good.getAttribute('data-phase')).toBe('ready')
    expect([...s.w.pageErrors, ...broken.pageErrors]).toEqual([])
    await broken.page.close()
  })

  it('ignores malformed sync messages and messages of another deck version', async () => {
    const no = slideOf('BiasProbe')
    await s.w.page.goto(`${s.deck.url}/${no}`)
    const f = await ready(s.w.page, no)
    await f.getByTestId('bias-caption').fill('a doctor')
    const before = await f.getByTestId('bias-caption').inputValue()
    const title = String(slides[0]!.frontmatter.title ?? (await s.w.page.title()))
    await s.w.page.evaluate(({ key }) => {
      const ch = new BroadcastChannel(key)
      const base = { rev: 1e9, at: Date.now(), by: 'zz', acts: {} }
      ch.postMessage({ ...base, v: 0, data: JSON.stringify({ custom: 'from an old deck', withDefault: true }) })
      ch.postMessage({ ...base, v: 1, data: 'not JSON' })
      ch.postMessage({ ...base, v: 1, data: { custom: 'an object, not JSON text' } })
      ch.postMessage({ ...base, v: 1, data: JSON.stringify({ custom: 42, withDefault: 'yes' }) })
      ch.postMessage('garbage')
      ch.postMessage({ v: 1 })
      ch.close()
    }, { key: `${title} · demo ${no}:bias-probe` })
    // A valid message with those wrong field types changes nothing either; the demo still answers.
    await f.getByTestId('bias-default').click()
    await expect.poll(async () => (await f.getByTestId('bias-default').isChecked())).toBe(false)
    expect(await f.getByTestId('bias-caption').inputValue()).toBe(before)
    expect(s.w.pageErrors).toEqual([])
  })
})
