/**
 * Loads micro-diffusion in Node with onnxruntime-node (the CLI, tests and benchmark use it; the deck
 * uses ./load.ts). Same engine, same files as the browser.
 */
import { existsSync, readFileSync } from 'node:fs'
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path'
import type { DiffusionConfig, DiffusionNets } from './sampler'
import type { OrtLike, SessionLike } from './nets'
import { ortNets } from './nets'

export interface NodeDiffusion { nets: DiffusionNets, config: DiffusionConfig, encodeIds: (text: string) => number[] }

export async function loadDiffusionNode(modelsDir: string, model = 'micro-diffusion', opts: { encoder?: boolean } = {}): Promise<NodeDiffusion> {
  const dir = join(modelsDir, model)
  const need = ['config.json', 'onnx/unet.onnx', 'onnx/vae_decoder.onnx']
  for (const f of need) {
    if (!existsSync(join(dir, f)))
      throw new Error(`Model file not found: ${join(dir, f)} (train it with \`npm run train -- diffusion\`)`)
  }
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as DiffusionConfig
  const textDir = join(modelsDir, config.text_encoder.model)
  if (!existsSync(join(textDir, 'onnx', 'text_model.onnx')))
    throw new Error(`The text encoder ${config.text_encoder.model} is missing under ${modelsDir}`)
  const ort = await import('onnxruntime-node')
  const t = await import('@huggingface/transformers')
  t.env.allowRemoteModels = false
  // transformers.js caches tokenizers by id: name the folder by its path from the project root, so the
  // shipped model and a fresh training export never share an id.
  const root = resolve(import.meta.dirname, '..', '..')
  const rel = relative(root, resolve(textDir))
  const inside = !rel.startsWith('..') && !isAbsolute(rel)
  t.env.localModelPath = `${inside ? root : dirname(resolve(textDir))}/`
  const tok = await t.AutoTokenizer.from_pretrained(inside ? rel : basename(textDir))
  const session = (f: string) => ort.InferenceSession.create(f) as unknown as Promise<SessionLike>
  const [text, unet, decoder, encoder] = await Promise.all([
    session(join(textDir, 'onnx', 'text_model.onnx')),
    session(join(dir, 'onnx', 'unet.onnx')),
    session(join(dir, 'onnx', 'vae_decoder.onnx')),
    opts.encoder ? session(join(dir, 'onnx', 'vae_encoder.onnx')) : Promise.resolve(undefined),
  ])
  const encodeIds = (s: string) => tok.encode(s) as number[]
  return { nets: ortNets(ort as unknown as OrtLike, { text, unet, decoder, encoder }, encodeIds), config, encodeIds }
}
