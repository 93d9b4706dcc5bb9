/**
 * The one place that configures the deck's ML libraries: transformers.js, onnxruntime-web and tfjs.
 *
 * - Everything loads from the deck itself: models from /models/, wasm from /runtime/; remote model
 *   loading is off. Nothing reaches a CDN or a model hub.
 * - WebGPU is used where an adapter exists, WebAssembly otherwise; ?backend=wasm|webgpu in the URL
 *   forces one. What each demo got is reported (demo frame badge, browser tests).
 * - The libraries are imported lazily, so slides without demos load none of them.
 *
 * Demos call these functions; they never import the libraries themselves.
 */
import type { Backend, BackendPreference, BackendReport } from './backends'
import { backendOrder, BACKEND_LABELS, backendReports, explainChoice, pagePreference, reportBackend } from './backends'
import { DemoError } from '../frame/errors'
import type { ModelKind } from './manifest'
import { REQUIRED_FILES } from './manifest'
import { modelFileUrl, modelsPath, ortWasmPaths, tfjsWasmPrefix } from './paths'
import { detectWebGPU } from './webgpu'

export * from './backends'
export * from './manifest'
export * from './paths'
export { detectWebGPU, probeWebGPU } from './webgpu'
export type { WebGPUInfo } from './webgpu'

type Ort = typeof import('onnxruntime-web/webgpu')
type Transformers = typeof import('@huggingface/transformers')
type Tf = typeof import('@tensorflow/tfjs')

let ortPromise: Promise<Ort> | undefined
let transformersPromise: Promise<Transformers> | undefined

/** onnxruntime-web (the build with the WebGPU execution provider), pointed at local wasm files. */
export function loadOrt(): Promise<Ort> {
  ortPromise ??= import('onnxruntime-web/webgpu').then((ort) => {
    ort.env.wasm.wasmPaths = ortWasmPaths()
    ort.env.wasm.proxy = false
    // Without cross-origin isolation the page cannot use threads; say so up front instead of
    // letting ORT warn on every session.
    ort.env.wasm.numThreads = typeof crossOriginIsolated !== 'undefined' && crossOriginIsolated ? 2 : 1
    // ORT logs a harmless warning through console.error when it places shape ops on the CPU.
    ort.env.logLevel = 'error'
    return ort
  })
  return ortPromise
}

/**
 * transformers.js configured for local models only. ORT is configured first: transformers.js
 * would otherwise point ORT's wasm at a CDN when it is imported.
 */
export function loadTransformers(): Promise<Transformers> {
  transformersPromise ??= loadOrt().then(async () => {
    const t = await import('@huggingface/transformers')
    t.env.allowRemoteModels = false
    t.env.allowLocalModels = true
    t.env.localModelPath = modelsPath()
    t.env.useBrowserCache = false
    const onnx = t.env.backends.onnx as { wasm?: { wasmPaths?: unknown, proxy?: boolean } }
    if (onnx.wasm) {
      onnx.wasm.wasmPaths = ortWasmPaths()
      onnx.wasm.proxy = false
    }
    return t
  })
  return transformersPromise
}

export type BackendChoice = Omit<BackendReport, 'demo'>

/**
 * Picks the backend for an ONNX model (transformers.js or ORT): WebGPU on a real GPU, else WASM (a
 * software WebGPU adapter is slower than WASM, so auto mode passes it over).
 */
export async function chooseOnnxBackend(preference: BackendPreference = pagePreference()): Promise<BackendChoice> {
  const gpu = await detectWebGPU()
  return explainChoice(backendOrder(['webgpu', 'wasm'], gpu, preference), gpu, preference)
}

/** Checks that a local model folder has the files a demo needs, before any library touches it. */
export async function checkModelFiles(model: string, files: readonly string[]): Promise<void> {
  for (const file of files) {
    const url = modelFileUrl(model, file)
    let res: Response
    try {
      res = await fetch(url, { method: 'HEAD', cache: 'no-store' })
    }
    catch (err) {
      throw new DemoError('model-missing', `Could not reach ${url}: ${String(err)}`, { model, file })
    }
    const type = res.headers.get('content-type') ?? ''
    if (!res.ok || type.includes('text/html'))
      throw new DemoError('model-missing', `Model file not found: ${url}`, { model, file })
  }
}

export interface OrtSessionResult {
  session: import('onnxruntime-web/webgpu').InferenceSession
  backend: Backend
}

/**
 * Creates an ORT session for a local .onnx file on WebGPU when there is an adapter, falling back to
 * WASM if WebGPU is missing or the session fails there. Reports the backend under `demo`.
 */
export async function createOrtSession(demo: string, model: string, file: string,
  preference: BackendPreference = pagePreference()): Promise<OrtSessionResult> {
  const ort = await loadOrt()
  const choice = await chooseOnnxBackend(preference)
  const url = modelFileUrl(model, file)
  const res = await fetch(url).catch((err: unknown) => {
    throw new DemoError('model-missing', `Could not reach ${url}: ${String(err)}`, { model, file })
  })
  if (!res.ok || (res.headers.get('content-type') ?? '').includes('text/html'))
    throw new DemoError('model-missing', `Model file not found: ${url}`, { model, file })
  return ortSessionFromBytes(demo, model, new Uint8Array(await res.arrayBuffer()), preference)
}

/**
 * The same for a model already in memory (a base model with an adapter merged into its weights): WebGPU
 * when there is an adapter, else or on failure WASM; reported under `demo`.
 */
export async function ortSessionFromBytes(demo: string, model: string, bytes: Uint8Array,
  preference: BackendPreference = pagePreference()): Promise<OrtSessionResult> {
  const ort = await loadOrt()
  const choice = await chooseOnnxBackend(preference)
  const attempt = async (backend: Backend) => ort.InferenceSession.create(bytes, {
    executionProviders: [backend === 'webgpu' ? 'webgpu' : 'wasm'],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  })
  if (choice.backend === 'webgpu') {
    try {
      const session = await attempt('webgpu')
      reportBackend({ demo, ...choice })
      return { session, backend: 'webgpu' }
    }
    catch (err) {
      const reason = `WebGPU session failed (${String(err).slice(0, 120)}); running on WebAssembly`
      const session = await wrapLoad(model, () => attempt('wasm'))
      reportBackend({ demo, backend: 'wasm', reason, fallback: true })
      return { session, backend: 'wasm' }
    }
  }
  const session = await wrapLoad(model, () => attempt('wasm'))
  reportBackend({ demo, ...choice })
  return { session, backend: 'wasm' }
}

/** Options for transformers.js from_pretrained calls on our local models (device + dtype). */
export async function transformersOptions(demo: string, preference: BackendPreference = pagePreference(),
  onProgress?: (fraction: number) => void): Promise<{ device: 'webgpu' | 'wasm', dtype: 'fp32', progress_callback?: (p: unknown) => void }> {
  const choice = await chooseOnnxBackend(preference)
  reportBackend({ demo, ...choice })
  const files = new Map<string, number>()
  return {
    device: choice.backend === 'webgpu' ? 'webgpu' : 'wasm',
    dtype: 'fp32',
    progress_callback: onProgress
      ? (p: unknown) => {
          const e = p as { status?: string, file?: string, progress?: number }
          if (e.file && typeof e.progress === 'number')
            files.set(e.file, e.progress / 100)
          if (e.status === 'ready')
            onProgress(1)
          else if (files.size)
            onProgress([...files.values()].reduce((a, b) => a + b, 0) / files.size)
        }
      : undefined,
  }
}

const loaded = new Map<string, Promise<{ value: unknown, firstDemo: string }>>()

/**
 * The model registry: every model folder is loaded once per window, whichever views use it. The folder is
 * checked first for the files its kind needs (manifest.ts), so a missing or misnamed folder gives the
 * frame's clear message before any library touches it. Every demo that asks is told the backend the first
 * load got (its badge). A failed load is forgotten, so a retry loads again. `variant` separates loads of
 * one folder that differ (a forced backend).
 */
export async function loadModel<T>(kind: ModelKind, model: string, demo: string, load: () => Promise<T>, variant = ''): Promise<T> {
  const key = `${kind}:${model}${variant ? `|${variant}` : ''}`
  let p = loaded.get(key) as Promise<{ value: T, firstDemo: string }> | undefined
  if (!p) {
    p = checkModelFiles(model, REQUIRED_FILES[kind]).then(load).then(value => ({ value, firstDemo: demo }))
    loaded.set(key, p)
    p.catch(() => loaded.delete(key))
  }
  const { value, firstDemo } = await p
  const report = backendReports().get(firstDemo)
  if (report && firstDemo !== demo)
    reportBackend({ ...report, demo })
  return value
}

/** Runs a model-loading step and turns library errors into a DemoError with a clear message. */
export async function wrapLoad<T>(model: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load()
  }
  catch (err) {
    if (err instanceof DemoError)
      throw err
    throw DemoError.from(err, { model })
  }
}

let tfPromise: Promise<{ tf: Tf, report: Omit<BackendReport, 'demo'> }> | undefined

/**
 * tfjs for models trained live in the browser: WebGPU, then WebAssembly, then WebGL, then CPU.
 * tfjs silently picks another backend when one fails, so the result is read back from tf.getBackend().
 * tfjs has one backend per page: it is chosen once, and every demo that asks is told which it got.
 */
export async function loadTf(demo: string, preference: BackendPreference = pagePreference()): Promise<{ tf: Tf, backend: Backend }> {
  tfPromise ??= (async () => {
    const tf = await import('@tensorflow/tfjs')
    const wasm = await import('@tensorflow/tfjs-backend-wasm')
    wasm.setWasmPaths(tfjsWasmPrefix())
    const gpu = await detectWebGPU()
    const order = backendOrder(['webgpu', 'wasm', 'webgl', 'cpu'], gpu, preference)
    if (order[0] === 'webgpu')
      await import('@tensorflow/tfjs-backend-webgpu')
    const tried: string[] = []
    for (const b of order) {
      try {
        if (await tf.setBackend(b) && tf.getBackend() === b) {
          await tf.ready()
          const report = tried.length
            ? { backend: b, reason: `${tried.join('; ')}; using ${BACKEND_LABELS[b]}`, fallback: true }
            : explainChoice(order, gpu, preference)
          return { tf, report }
        }
        tried.push(`${BACKEND_LABELS[b]} unavailable`)
      }
      catch (err) {
        tried.push(`${BACKEND_LABELS[b]} failed (${String(err).slice(0, 80)})`)
      }
    }
    throw new DemoError('backend', `No tfjs backend could start: ${tried.join('; ')}`)
  })().catch((err) => {
    tfPromise = undefined // a later attempt (the demo's retry) starts afresh
    throw err
  })
  const { tf, report } = await tfPromise
  reportBackend({ demo, ...report })
  return { tf, backend: report.backend }
}
