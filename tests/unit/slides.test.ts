import { describe, expect, it } from 'vitest'
import { deckSlides } from '../lib/slides'

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
})
