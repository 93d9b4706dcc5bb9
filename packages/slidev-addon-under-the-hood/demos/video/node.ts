/**
 * Loads micro-video in Node (the CLI, tests and benchmark; the deck uses ./load.ts): the same files and
 * engine as the browser, on onnxruntime-node.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { checkModelDir, loadOrtNode, nodeSession } from '../runtime/node'
import type { OrtLike, SessionLike } from '../runtime/ort'
import { loadDiffusionNode } from '../diffusion/node'
import type { NodeDiffusion } from '../diffusion/node'
import type { VideoConfig } from './clip'

export interface NodeVideo { config: VideoConfig, image: NodeDiffusion, session: SessionLike, ort: OrtLike }

/** micro-video from `modelsDir` (its image model too), or from `opts.dir` (a pipeline run's output) on `modelsDir`'s image model. */
export async function loadVideoNode(modelsDir: string, model = 'micro-video', opts: { dir?: string } = {}): Promise<NodeVideo> {
  const dir = opts.dir ?? join(modelsDir, model)
  checkModelDir(dir, 'video', 'train it with `npm run train -- video`')
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as VideoConfig
  const [image, session, ort] = await Promise.all([
    loadDiffusionNode(modelsDir, config.image_model),
    nodeSession(join(dir, 'onnx', 'video_unet.onnx')),
    loadOrtNode(),
  ])
  return { config, image, session, ort: ort as unknown as OrtLike }
}
