/**
 * Loads micro-diffusion in Node through the Node runtime (the CLI, tests and benchmark use it; the deck
 * uses ./load.ts). Same engine, same files as the browser.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { checkModelDir, folderId, loadOrtNode, loadTransformersNode, nodeSession } from '../runtime/node'
import type { DiffusionConfig, DiffusionNets } from './sampler'
import { ortNets } from './nets'

export interface NodeDiffusion { nets: DiffusionNets, config: DiffusionConfig, encodeIds: (text: string) => number[] }

export async function loadDiffusionNode(modelsDir: string, model = 'micro-diffusion', opts: { encoder?: boolean } = {}): Promise<NodeDiffusion> {
  const dir = join(modelsDir, model)
  checkModelDir(dir, 'diffusion', 'train it with `npm run train -- diffusion`')
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as DiffusionConfig
  const textDir = join(modelsDir, config.text_encoder.model)
  checkModelDir(textDir, ['tokenizer.json', 'onnx/text_model.onnx'], `the text encoder ${config.text_encoder.model} is missing under ${modelsDir}`)
  const [ort, t] = await Promise.all([loadOrtNode(), loadTransformersNode()])
  const tok = await t.AutoTokenizer.from_pretrained(folderId(textDir))
  const [text, unet, decoder, encoder] = await Promise.all([
    nodeSession(join(textDir, 'onnx', 'text_model.onnx')),
    nodeSession(join(dir, 'onnx', 'unet.onnx')),
    nodeSession(join(dir, 'onnx', 'vae_decoder.onnx')),
    opts.encoder ? nodeSession(join(dir, 'onnx', 'vae_encoder.onnx')) : Promise.resolve(undefined),
  ])
  const encodeIds = (s: string) => tok.encode(s) as number[]
  return { nets: ortNets(ort, { text, unet, decoder, encoder }, encodeIds), config, encodeIds }
}
