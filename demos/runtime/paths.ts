/** Where the deck's local assets live. Everything is served by the deck itself: no CDN, no hub. */

/** The deck's base URL ('/' in dev, the build's base when hosted under a sub-path). */
export function deckBase(): string {
  const env = (import.meta as ImportMeta & { env?: { BASE_URL?: string } }).env
  const base = env?.BASE_URL ?? '/'
  return base.endsWith('/') ? base : `${base}/`
}

export const RUNTIME_DIR = 'runtime/'
export const MODELS_DIR = 'models/'

/**
 * The WebAssembly runtimes, as the deck serves them (under RUNTIME_DIR) and where they come from in
 * node_modules. The one list: vite.config.ts serves and copies exactly these, the runtime loads them.
 */
export const RUNTIME_FILES = {
  ortMjs: ['ort/ort-wasm-simd-threaded.asyncify.mjs', 'onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.mjs'],
  ortWasm: ['ort/ort-wasm-simd-threaded.asyncify.wasm', 'onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.wasm'],
  tfjsWasm: ['tfjs/tfjs-backend-wasm.wasm', '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'],
  tfjsSimd: ['tfjs/tfjs-backend-wasm-simd.wasm', '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'],
  tfjsThreaded: ['tfjs/tfjs-backend-wasm-threaded-simd.wasm', '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm'],
} as const satisfies Record<string, readonly [served: string, source: string]>

/** ONNX Runtime Web's WebAssembly files. */
export function ortWasmPaths(base = deckBase()): { mjs: string, wasm: string } {
  return {
    mjs: `${base}${RUNTIME_DIR}${RUNTIME_FILES.ortMjs[0]}`,
    wasm: `${base}${RUNTIME_DIR}${RUNTIME_FILES.ortWasm[0]}`,
  }
}

/** tfjs' WebAssembly backend files (a folder prefix, as setWasmPaths wants). */
export function tfjsWasmPrefix(base = deckBase()): string {
  return `${base}${RUNTIME_DIR}tfjs/`
}

/** Folder that transformers.js resolves model names against (env.localModelPath). */
export function modelsPath(base = deckBase()): string {
  return `${base}${MODELS_DIR}`
}

/** URL of one file of a local model folder; rejects names that would escape the models folder. */
export function modelFileUrl(model: string, file: string, base = deckBase()): string {
  if (!/^[\w.-]+(\/[\w.-]+)*$/.test(model) || model.split('/').some(p => p === '..' || p === '.'))
    throw new Error(`invalid model name "${model}"`)
  if (!/^[\w.-]+(\/[\w.-]+)*$/.test(file) || file.split('/').some(p => p === '..' || p === '.'))
    throw new Error(`invalid model file "${file}"`)
  return `${modelsPath(base)}${model}/${file}`
}
