/**
 * LoRA adapters in Node (the CLI, tests, benchmark): the same checks and merge as the deck, on the files
 * in a models folder, and an onnxruntime-node session of the merged UNet.
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadOrtNode } from '../runtime/node'
import type { SessionLike } from '../runtime/ort'
import { withUnet } from '../diffusion/nets'
import type { DiffusionNets } from '../diffusion/sampler'
import { bindLora, checkLoraConfig, LoraError, mergeLora, parseSafetensors } from './engine'
import type { LoraAdapter } from './engine'

export function loraDir(modelsDir: string, model: string, name: string): string {
  return join(modelsDir, model, 'lora', name)
}

export function baseUnetBytes(modelsDir: string, model = 'micro-diffusion'): Uint8Array {
  return new Uint8Array(readFileSync(join(modelsDir, model, 'onnx', 'unet.onnx')))
}

/** Reads and checks `models/<model>/lora/<name>/` against the base UNet. */
export function loadLoraNode(modelsDir: string, name: string, baseUnet: Uint8Array, model = 'micro-diffusion'): LoraAdapter {
  const dir = loraDir(modelsDir, model, name)
  if (!existsSync(join(dir, 'config.json'))) throw new LoraError(`No LoRA "${name}": ${join(dir, 'config.json')} does not exist.`)
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))
  }
  catch {
    raw = null
  }
  const config = checkLoraConfig(raw, name)
  const file = join(dir, config.file)
  if (!existsSync(file)) throw new LoraError(`The LoRA "${name}" lacks its weights: ${file} does not exist.`, config.file)
  const sha = createHash('sha256').update(baseUnet).digest('hex')
  return bindLora(config, parseSafetensors(new Uint8Array(readFileSync(file)), config.file), baseUnet, model, sha)
}

/** `nets` with the UNet replaced by the base merged with `adapter` at `strength`. */
export async function loraNetsNode(nets: DiffusionNets, baseUnet: Uint8Array, adapter: LoraAdapter, strength: number): Promise<DiffusionNets> {
  const ort = await loadOrtNode()
  const session = await (ort.InferenceSession.create as unknown as (b: Uint8Array) => Promise<unknown>)(mergeLora(baseUnet, adapter, strength))
  return withUnet(nets, ort, session as SessionLike)
}
