/**
 * micro-CLIP through transformers.js in Node: the exported ONNX must give torch's numbers on fixed
 * inputs (parity.json, written by the export) and load exactly like a hub CLIP folder.
 * Checks the shipped model, and the smoke run's fresh export when `npm test` has just made one.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { folderId, loadTransformersNode, SHIPPED_MODELS } from '../../packages/slidev-addon-under-the-hood/demos/runtime/node'
import { toPixelValues } from '../../packages/slidev-addon-under-the-hood/demos/clip/preprocess'
import { maxDiff } from '../lib/numbers'

const ROOT = join(import.meta.dirname, '..', '..')
const folders: [string, string][] = [['shipped', SHIPPED_MODELS]]
const smoke = join(ROOT, 'training', 'runs', 'smoke', 'models')
// The smoke run's export whenever the smoke run wrote one; a folder without its parity.json fails below.
if (existsSync(join(smoke, 'micro-clip')))
  folders.push(['smoke export', smoke])

interface Parity {
  texts: string[]
  text: { ids: number[], text_embeds: number[], last_hidden_state_0: number[] }[]
  pixel_values: number[]
  pixel_shape: number[]
  image_embeds: number[]
}


/** Bytes in a folder, leaving out some subfolders (tfjs/: the image encoder again, as a TensorFlow.js graph). */
function folderSize(dir: string, skip: readonly string[] = []): number {
  return readdirSync(dir).filter(f => !skip.includes(f)).reduce((s, f) => {
    const p = join(dir, f)
    return s + (statSync(p).isDirectory() ? folderSize(p) : statSync(p).size)
  }, 0)
}

describe.each(folders)('micro-CLIP (%s)', (_label, modelsDir) => {
  it('has the parity file its export wrote (the checks against torch below need it)', () => {
    expect(existsSync(join(modelsDir, 'micro-clip', 'parity.json')), `${join(modelsDir, 'micro-clip')}/parity.json is missing: re-export with npm run train`).toBe(true)
  })

  const dir = join(modelsDir, 'micro-clip')
  const id = folderId(dir)
  const load = async () => {
    return loadTransformersNode()
  }

  it('has the folder layout of a transformers.js CLIP model, within the size budget', () => {
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'preprocessor_config.json',
      'onnx/text_model.onnx', 'onnx/vision_model.onnx', 'onnx/model.onnx', 'README.md', 'embeddings.json'])
      expect(existsSync(join(dir, f)), f).toBe(true)
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))
    expect(config.model_type).toBe('clip')
    expect(config['transformers.js_config'].dtype).toBe('fp32')
    // 16 MB: the text encoder's table holds 3,800 dictionary words, in text_model.onnx and again in model.onnx
    expect(folderSize(dir, ['tfjs'])).toBeLessThanOrEqual(16_000_000)
    expect(folderSize(join(dir, 'tfjs'))).toBeLessThanOrEqual(3_500_000)
  })

  it('tokenizes like training and gives torch\'s text embeddings (1e-4)', async () => {
    const t = await load()
    const parity = JSON.parse(readFileSync(join(dir, 'parity.json'), 'utf8')) as Parity
    const tok = await t.AutoTokenizer.from_pretrained(id)
    const model = await t.CLIPTextModelWithProjection.from_pretrained(id, { dtype: 'fp32' })
    for (let i = 0; i < parity.texts.length; i++) {
      const inputs = tok(parity.texts[i]!)
      expect(Array.from(inputs.input_ids.data as BigInt64Array, Number), parity.texts[i]).toEqual(parity.text[i]!.ids)
      const out = await model(inputs)
      expect(maxDiff(out.text_embeds.data as Float32Array, parity.text[i]!.text_embeds)).toBeLessThan(1e-4)
      const width = parity.text[i]!.last_hidden_state_0.length
      expect(maxDiff((out.last_hidden_state.data as Float32Array).slice(0, width), parity.text[i]!.last_hidden_state_0)).toBeLessThan(1e-4)
    }
  })

  it('gives torch\'s image embedding (1e-4) and consistent logits in the combined model', async () => {
    const t = await load()
    const parity = JSON.parse(readFileSync(join(dir, 'parity.json'), 'utf8')) as Parity
    const vision = await t.CLIPVisionModelWithProjection.from_pretrained(id, { dtype: 'fp32' })
    const pixel_values = new t.Tensor('float32', Float32Array.from(parity.pixel_values), parity.pixel_shape)
    const img = await vision({ pixel_values })
    expect(maxDiff(img.image_embeds.data as Float32Array, parity.image_embeds)).toBeLessThan(1e-4)

    const tok = await t.AutoTokenizer.from_pretrained(id)
    const clip = await t.CLIPModel.from_pretrained(id, { dtype: 'fp32' })
    const texts = parity.texts.slice(0, 3)
    const out = await clip({ ...tok(texts, { padding: true }), pixel_values })
    expect(out.logits_per_image.dims).toEqual([1, 3])
    // logits = scale · cos(image, text): check against the separately computed embeddings.
    const norm = (v: number[]) => Math.hypot(...v)
    const cos = texts.map((_, k) => {
      const a = parity.image_embeds
      const b = parity.text[k]!.text_embeds
      return a.reduce((s, x, j) => s + x * b[j]!, 0) / (norm(a) * norm(b))
    })
    const logits = Array.from(out.logits_per_image.data as Float32Array)
    const scale = logits[0]! / cos[0]!
    expect(scale).toBeGreaterThan(1)
    for (let k = 0; k < 3; k++) expect(logits[k]! / scale).toBeCloseTo(cos[k]!, 4)
  })

  it('runs the zero-shot-image-classification pipeline on every unseen (validation) sample', async () => {
    const t = await load()
    const samples = JSON.parse(readFileSync(join(dir, 'samples.json'), 'utf8')) as { candidates: string[], samples: { file: string, name: string, style: string }[] }
    expect(samples.samples.length).toBeGreaterThan(0)
    if (_label === 'shipped') // the shipped model names unseen emoji in each of its three art styles
      expect(new Set(samples.samples.map(s => s.style))).toEqual(new Set(['noto', 'twemoji', 'fluent']))
    const clf = await t.pipeline('zero-shot-image-classification', id, { dtype: 'fp32' })
    for (const s of samples.samples) {
      const out = await clf(join(dir, s.file), samples.candidates, { hypothesis_template: '{}' }) as { label: string, score: number }[]
      expect(out).toHaveLength(samples.candidates.length)
      expect(out.reduce((a, b) => a + b.score, 0)).toBeCloseTo(1, 4)
      // Torch ranked each sample's own name first among the candidates (samples.json): so must this.
      expect(out[0]!.label, s.file).toBe(s.name)
    }
  })
})

describe('micro-CLIP preprocessing', () => {
  it('composites on the training background and area-downsamples to [-1, 1]', () => {
    const w = 64
    const data = new Uint8ClampedArray(w * w * 4)
    // Left half opaque red, right half fully transparent.
    for (let y = 0; y < w; y++) {
      for (let x = 0; x < w; x++) {
        const i = (y * w + x) * 4
        if (x < 32)
          data.set([255, 0, 0, 255], i)
      }
    }
    const px = toPixelValues({ width: w, height: w, data })
    expect(px.length).toBe(3 * 32 * 32)
    expect(px[0]).toBeCloseTo(1, 6) // red channel, left
    expect(px[32 * 32]).toBeCloseTo(-1, 6) // green channel, left
    expect(px[31]).toBeCloseTo((230 / 255) * 2 - 1, 6) // red channel, right: background
    expect(() => toPixelValues({ width: 50, height: 50, data: new Uint8ClampedArray(50 * 50 * 4) })).toThrow(/multiple of 32/)
  })
})
