/**
 * Pre-flight check: before a talk, proves on this laptop that each ML runtime loads from the deck
 * (no network), which backend it got, and that the browser reproduces the numbers the model gave in
 * training (the parity vectors exported next to the model).
 */
import { checkModelFiles, createOrtSession, loadOrt, loadTf, loadTransformers, modelFileUrl, transformersOptions, wrapLoad } from '../runtime'
import type { Backend } from '../runtime'

export interface Parity {
  texts: string[]
  text: { ids: number[], text_embeds: number[] }[]
  pixel_values: number[]
  pixel_shape: number[]
  image_embeds: number[]
}

export interface CheckResult {
  name: string
  backend: Backend
  /** Largest absolute difference from the reference numbers. */
  maxDiff: number
  ok: boolean
  detail: string
  ms: number
}

export const TOLERANCE = 1e-4

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length)
    return Number.POSITIVE_INFINITY
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] ?? 0) - (b[i] ?? 0)))
  return m
}

export async function loadParity(model: string): Promise<Parity> {
  await checkModelFiles(model, ['parity.json'])
  return wrapLoad(model, async () => (await fetch(modelFileUrl(model, 'parity.json'))).json() as Promise<Parity>)
}

/** transformers.js: tokenizer + CLIP text encoder reproduce the training-time embeddings. */
export async function checkTransformers(demo: string, model: string, parity: Parity, onProgress?: (v: number) => void): Promise<CheckResult> {
  const t0 = performance.now()
  await checkModelFiles(model, ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/text_model.onnx'])
  const t = await loadTransformers()
  const opts = await transformersOptions(demo, undefined, onProgress)
  const tok = await wrapLoad(model, () => t.AutoTokenizer.from_pretrained(model))
  const enc = await wrapLoad(model, () => t.CLIPTextModelWithProjection.from_pretrained(model, opts))
  let maxDiff = 0
  let idsOk = true
  const n = Math.min(3, parity.texts.length)
  for (let i = 0; i < n; i++) {
    const inputs = tok(parity.texts[i] ?? '')
    const ids = Array.from(inputs.input_ids.data as ArrayLike<number | bigint>, Number)
    idsOk &&= JSON.stringify(ids) === JSON.stringify(parity.text[i]?.ids)
    const out = await enc(inputs)
    maxDiff = Math.max(maxDiff, maxAbsDiff(out.text_embeds.data as Float32Array, parity.text[i]?.text_embeds ?? []))
  }
  return {
    name: 'transformers.js · tokenizer + text encoder',
    backend: opts.device,
    maxDiff,
    ok: idsOk && maxDiff <= TOLERANCE,
    detail: idsOk ? `${n} captions, token ids identical` : 'token ids differ from training',
    ms: performance.now() - t0,
  }
}

/** onnxruntime-web on its own (not through transformers.js): the image encoder on the parity image. */
export async function checkOrt(demo: string, model: string, parity: Parity): Promise<CheckResult> {
  const t0 = performance.now()
  const { session, backend } = await createOrtSession(demo, model, 'onnx/vision_model.onnx')
  const { Tensor } = await loadOrt()
  const input = new Tensor('float32', Float32Array.from(parity.pixel_values), parity.pixel_shape)
  const out = await session.run({ pixel_values: input })
  const data = (await out.image_embeds!.getData()) as Float32Array
  const maxDiff = maxAbsDiff(data, parity.image_embeds)
  await session.release()
  return { name: 'onnxruntime-web · image encoder', backend, maxDiff, ok: maxDiff <= TOLERANCE, detail: '1 image, 32×32', ms: performance.now() - t0 }
}

/** tfjs: a small matrix product against the same product computed in plain JavaScript. */
export async function checkTf(demo: string): Promise<CheckResult> {
  const t0 = performance.now()
  const { tf, backend } = await loadTf(demo)
  const n = 32
  const a = Array.from({ length: n * n }, (_, i) => Math.sin(i) / 4)
  const b = Array.from({ length: n * n }, (_, i) => Math.cos(i * 0.7) / 4)
  const ref = new Float32Array(n * n)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0
      for (let k = 0; k < n; k++) s += a[i * n + k]! * b[k * n + j]!
      ref[i * n + j] = s
    }
  }
  const out = tf.tidy(() => tf.matMul(tf.tensor2d(a, [n, n]), tf.tensor2d(b, [n, n])))
  const data = await out.data()
  out.dispose()
  const maxDiff = maxAbsDiff(data as Float32Array, ref)
  return { name: 'tfjs · matrix product', backend, maxDiff, ok: maxDiff <= 1e-3, detail: `${n}×${n}`, ms: performance.now() - t0 }
}

export interface Samples {
  candidates: string[]
  samples: { file: string, name: string }[]
}

/**
 * Zero-shot classification of validation emoji (never trained on) through the
 * transformers.js pipeline, against the names of all the candidates.
 */
export async function checkZeroShot(demo: string, model: string): Promise<CheckResult & { correct: number, total: number, predictions: string[] }> {
  const t0 = performance.now()
  await checkModelFiles(model, ['samples.json', 'preprocessor_config.json'])
  const samples = await wrapLoad(model, async () => (await fetch(modelFileUrl(model, 'samples.json'))).json() as Promise<Samples>)
  const t = await loadTransformers()
  const opts = await transformersOptions(demo)
  const clf = await wrapLoad(model, () => t.pipeline('zero-shot-image-classification', model, opts))
  const predictions: string[] = []
  for (const s of samples.samples) {
    // The pipeline's default template wraps labels as "This is a photo of {}": ask for the bare names,
    // as training and the model card's evaluation do.
    const out = await clf(modelFileUrl(model, s.file), samples.candidates, { hypothesis_template: '{}' }) as { label: string, score: number }[]
    predictions.push(out[0]?.label ?? '')
  }
  const correct = predictions.filter((p, i) => p === samples.samples[i]?.name).length
  const total = samples.samples.length
  return {
    name: 'transformers.js · zero-shot pipeline',
    backend: opts.device,
    maxDiff: 0,
    ok: total > 0 && correct === total,
    detail: `${correct}/${total} unseen emoji named right among ${samples.candidates.length} captions`,
    ms: performance.now() - t0,
    correct,
    total,
    predictions,
  }
}
