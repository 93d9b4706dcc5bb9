/**
 * Loads micro-audio in Node (the CLI, tests and benchmark; the deck uses ./load.ts): the same files and
 * engine as the browser, on onnxruntime-node.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { checkModelDir, loadOrtNode, nodeSession } from '../runtime/node'
import type { DiffusionNets } from '../diffusion/sampler'
import type { OrtLike } from '../runtime/ort'
import type { AudioConfig } from './sound'
import { audioNets } from './sound'

export interface NodeAudio { nets: DiffusionNets, config: AudioConfig }

/** micro-audio from `modelsDir`, or from `opts.dir` (a pipeline run's output). */
export async function loadAudioNode(modelsDir: string, model = 'micro-audio', opts: { dir?: string } = {}): Promise<NodeAudio> {
  const dir = opts.dir ?? join(modelsDir, model)
  checkModelDir(dir, 'audio', 'train it with `npm run train -- audio`')
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as AudioConfig
  const [ort, text, unet] = await Promise.all([loadOrtNode(), nodeSession(join(dir, 'onnx', 'text_encoder.onnx')), nodeSession(join(dir, 'onnx', 'unet.onnx'))])
  return { config, nets: audioNets(ort as unknown as OrtLike, { text, unet }, config) }
}
