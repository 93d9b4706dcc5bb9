import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from '@slidev/parser'
import { describe, expect, it } from 'vitest'
import { deckSlides } from '../lib/slides'

const ROOT = join(import.meta.dirname, '..', '..')

describe('slides.md', async () => {
  const slides = await deckSlides()
  const all = slides.map(s => s.content).join('\n')

  it('has at least 60 slides, each with a heading', () => {
    expect(slides.length).toBeGreaterThanOrEqual(60)
    expect(slides.filter(s => !s.heading).map(s => s.no)).toEqual([])
  })

  it('has speaker notes a presenter can speak from on every slide', () => {
    const thin = slides.filter(s => s.note.split(/\s+/).length < 12).map(s => `${s.no}: ${s.heading}`)
    expect(thin).toEqual([])
  })

  it('gives a time budget for every section', () => {
    const sections = slides.filter(s => /Section \d/.test(s.content))
    expect(sections.length).toBeGreaterThanOrEqual(6)
    for (const s of sections) expect(s.note).toMatch(/\d+ minutes/)
  })

  it('covers the talk from motivation to ethics, in order', () => {
    const order = ['What did you just see?', 'GPT: a next-word predictor', 'Tokenization', 'Self-attention', 'LoRA',
      'CLIP: Contrastive', 'Forward diffusion', 'Reverse diffusion', 'Guidance', 'Autoencoder', 'GANs',
      'Ways to represent audio', 'A video is a sequence of images', 'Latent video diffusion transformers',
      'Which training data was used?', 'Dataset bias', 'Open vs closed models', 'Credits and licences', 'Sources']
    const idx = order.map(h => slides.findIndex(s => s.heading.startsWith(h)))
    expect(idx.filter(i => i < 0).length, `missing: ${order.filter((_, k) => idx[k]! < 0).join(', ')}`).toBe(0)
    expect([...idx].sort((a, b) => a - b)).toEqual(idx)
  })

  it.each([
    ['forward step q(x_t|x_{t-1})', /q\(x_t \\mid x_\{t-1\}\)/],
    ['closed form q(x_t|x_0)', /q\(x_t \\mid x_0\)/],
    ['reverse step p_θ', /p_\\theta\(x_\{t-1\} \\mid x_t\)/],
    ['DDPM ε-loss', /\\mathcal\{L\}_\{\\text\{simple\}\}/],
    ['score function', /\\nabla_\{x_t\} \\log q\(x_t\)/],
    ['GAN minimax', /\\min_G \\max_D/],
    ['scaled dot-product attention', /\\operatorname\{softmax\}\\!\\left\(\\frac\{Q K\^\{\\top\}\}\{\\sqrt\{d_k\}\}/],
    ['CLIP contrastive loss', /s_\{ij\} = \\cos\(I_i, T_j\)/],
    ['LoRA W + BA', /W \+ \\Delta W = W \+/],
    ['classifier-free guidance', /\\varepsilon_\\theta\(x_t, \\varnothing\) \+ w/],
  ])('has the %s formula in KaTeX', (_name, re) => {
    expect(all).toMatch(re)
  })

  it('draws the pipelines with mermaid', () => {
    const diagrams = all.match(/```mermaid[\s\S]*?```/g) ?? []
    expect(diagrams.length).toBeGreaterThanOrEqual(4)
    const text = diagrams.join('\n')
    for (const must of ['denoiser', 'generator', 'backpropagation', 'diffusion transformer'])
      expect(text).toContain(must)
  })

  it('marks every demo that has not landed with the placeholder on the demo frame', () => {
    const demos = slides.filter(s => /^# Demo:/m.test(s.content))
    expect(demos.length).toBeGreaterThanOrEqual(8)
    for (const s of demos) expect(s.content).toMatch(/<[A-Z]\w+\b/)
  })

  it('asks for no font, favicon or script from outside the machine', () => {
    const head = slides[0]!.frontmatter
    expect(head.fonts).toEqual({ provider: 'none' })
    expect(String(head.favicon)).toMatch(/^\/[\w.-]+$/)
    expect(head.remoteAssets).toBe(false)
    expect(all).not.toMatch(/<(script|link|img)[^>]+(src|href)="https?:/)
  })

  it('is one file per section, each a deck of its own that starts on a section opener or the opening', async () => {
    const files = readdirSync(join(ROOT, 'pages')).filter(f => f.endsWith('.md')).sort()
    expect(files.length).toBeGreaterThanOrEqual(7)
    const main = readFileSync(join(ROOT, 'slides.md'), 'utf8')
    let count = 1 // the title slide lives in slides.md
    for (const f of files) {
      expect(main, `slides.md imports ${f}`).toContain(`src: ./pages/${f}`)
      const parsed = await parse(readFileSync(join(ROOT, 'pages', f), 'utf8'), f)
      expect(parsed.slides[0]!.frontmatter.layout, f).toMatch(/^(section|center)$/)
      count += parsed.slides.length
    }
    expect(count).toBe(slides.length)
  })

  it('uses the theme, dark by default (not forced, so the handout can print light)', () => {
    expect(slides[0]!.frontmatter.theme).toBe('under-the-hood')
    expect(slides[0]!.frontmatter.colorSchema).toBe('auto')
  })

  it('opens every section on a picture that exists, with its credit', () => {
    const addonVite = readFileSync(join(ROOT, 'packages', 'slidev-addon-under-the-hood', 'vite.config.ts'), 'utf8')
    const openers = slides.filter(s => s.frontmatter.layout === 'section' || s.no === 1)
    expect(openers.length).toBeGreaterThanOrEqual(8)
    for (const s of openers) {
      const image = String(s.frontmatter.image ?? '')
      expect(image, `slide ${s.no} (${s.heading}) has no picture`).toMatch(/^\/images\//)
      // In the deck's public/, in the addon, or served by the addon from a package (vite.config.ts).
      const file = [join(ROOT, 'public', image), join(ROOT, 'packages', 'slidev-addon-under-the-hood', image)].find(existsSync)
      const served = addonVite.includes(`served['${image.slice(1)}']`)
      expect(file ?? served, `${image} of slide ${s.no}`).toBeTruthy()
      expect(String(s.frontmatter.credit ?? '')).toMatch(/our own model|public domain/)
    }
  })

  it('puts every live demo on a slide laid out for it', () => {
    const demoSlides = slides.filter(s => /^# Demo:/m.test(s.content))
    expect(demoSlides.filter(s => s.frontmatter.layout !== 'demo').map(s => `${s.no}: ${s.heading}`)).toEqual([])
  })
})

