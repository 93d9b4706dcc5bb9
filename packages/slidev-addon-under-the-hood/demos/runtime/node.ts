/**
 * The runtime for Node: scripts (`npm run generate`), the benchmark and the unit tests run the same
 * engines on the same files as the deck, through onnxruntime-node (which transformers.js installs),
 * transformers.js configured for local folders only, and tfjs on its CPU backend. Nothing is fetched
 * from a hub.
 */
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ModelKind } from './manifest'
import { REQUIRED_FILES } from './manifest'
import type { OrtLike, SessionLike } from './ort'

/** The folder of the models that travel with the addon (the package's models/). */
export const SHIPPED_MODELS = resolve(fileURLToPath(new URL('../../models', import.meta.url)))

type NodeOrt = OrtLike & { InferenceSession: { create: (file: string) => Promise<unknown> } }
type Transformers = typeof import('@huggingface/transformers')
type Tf = typeof import('@tensorflow/tfjs')

/** onnxruntime-node, typed as the engines take it. */
export async function loadOrtNode(): Promise<NodeOrt> {
  return await import('onnxruntime-node') as unknown as NodeOrt
}

/** An ONNX Runtime session of a .onnx file on disk. */
export async function nodeSession(file: string): Promise<SessionLike> {
  const ort = await loadOrtNode()
  return await ort.InferenceSession.create(file) as SessionLike
}

let transformers: Promise<Transformers> | undefined

/**
 * transformers.js for local folders only. Load a folder with `from_pretrained(folderId(dir))`: an
 * absolute path, which transformers.js reads as it is (it is no hub id), and which keeps two folders of one
 * name (the shipped model, a fresh training export) apart in its cache.
 */
export function loadTransformersNode(): Promise<Transformers> {
  transformers ??= import('@huggingface/transformers').then((t) => {
    t.env.allowRemoteModels = false
    t.env.allowLocalModels = true
    return t
  })
  return transformers
}

/** The id under which loadTransformersNode's transformers.js finds a model folder. */
export function folderId(dir: string): string {
  return resolve(dir)
}

/** Fails with the missing file's path unless `dir` has what a model of this kind needs (manifest.ts), or these files. */
export function checkModelDir(dir: string, need: ModelKind | readonly string[], hint = ''): void {
  for (const f of typeof need === 'string' ? REQUIRED_FILES[need] : need) {
    if (!existsSync(join(dir, f)))
      throw new Error(`Model file not found: ${join(dir, f)}${hint ? ` (${hint})` : ''}`)
  }
}

let tf: Promise<Tf> | undefined

/**
 * tfjs in Node. 'cpu' (the default): plain JavaScript, the same numbers on every machine. 'wasm': the
 * WebAssembly backend the deck also uses, ten times faster for convolutions (CLIP-guided generation).
 * One backend per process: the first call decides.
 */
export function loadTfNode(backend: 'cpu' | 'wasm' = 'cpu'): Promise<Tf> {
  tf ??= import('@tensorflow/tfjs').then(async (t) => {
    if (backend === 'wasm') {
      const wasm = await import('@tensorflow/tfjs-backend-wasm')
      const { createRequire } = await import('node:module')
      const entry = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')
      wasm.setWasmPaths(`${entry.slice(0, entry.lastIndexOf('/dist/') + 6)}`)
    }
    await t.setBackend(backend)
    await t.ready()
    return t
  })
  return tf
}
