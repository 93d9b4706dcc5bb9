/** URLs of the deck's local assets (see ./manifest.ts). Everything is served by the deck itself: no CDN, no hub. */
import { MODELS_DIR, RUNTIME_DIR, RUNTIME_FILES } from './manifest'

/** The deck's base URL ('/' in dev, the build's base when hosted under a sub-path). */
export function deckBase(): string {
  const env = (import.meta as ImportMeta & { env?: { BASE_URL?: string } }).env
  const base = env?.BASE_URL ?? '/'
  return base.endsWith('/') ? base : `${base}/`
}

/** ONNX Runtime Web's WebAssembly files. */
export function ortWasmPaths(base = deckBase()): { mjs: string, wasm: string } {
  return {
    mjs: `${base}${RUNTIME_DIR}${RUNTIME_FILES.ortMjs.served}`,
    wasm: `${base}${RUNTIME_DIR}${RUNTIME_FILES.ortWasm.served}`,
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
