/**
 * CLIP-guided generation: the TensorFlow.js runs of the VAE decoder and the CLIP image encoder give the
 * ONNX files' numbers (so gradients flow through the same networks), and the guided loop raises the
 * picture's similarity to the prompt on a fixed seed over 20 iterations.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { GraphSpec } from '../../packages/slidev-addon-under-the-hood/demos/guided/graph'
import { TfGraph, UnsupportedOpError } from '../../packages/slidev-addon-under-the-hood/demos/guided/graph'
import { GuidedRun } from '../../packages/slidev-addon-under-the-hood/demos/guided/engine'
import { gaussianNoise } from '../../packages/slidev-addon-under-the-hood/demos/diffusion/schedule'
import { folderId, loadOrtNode, loadTfNode, loadTransformersNode, nodeSession, SHIPPED_MODELS } from '../../packages/slidev-addon-under-the-hood/demos/runtime/node'
import { maxDiff } from '../lib/numbers'

const ROOT = join(import.meta.dirname, '..', '..')
const folders: [string, string][] = [['shipped', SHIPPED_MODELS]]
const smoke = join(ROOT, 'training', 'runs', 'smoke', 'models')
if (existsSync(join(smoke, 'micro-diffusion', 'tfjs')))
  folders.push(['smoke export', smoke])

async function graph(dir: string, name: string) {
  const tf = await loadTfNode('wasm')
  const spec = JSON.parse(readFileSync(join(dir, 'tfjs', `${name}.json`), 'utf8')) as GraphSpec
  const bin = readFileSync(join(dir, 'tfjs', spec.weights))
  return new TfGraph(tf, spec, bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength))
}


describe.each(folders)('tfjs graphs (%s)', (_label, modelsDir) => {
  it.each([
    ['micro-diffusion', 'vae_decoder', 'latent', [2, 4, 8, 8], 'sample'],
    ['micro-clip', 'vision_model', 'pixel_values', [2, 3, 32, 32], 'image_embeds'],
  ] as const)('%s/%s gives the ONNX file\'s numbers (1e-4)', async (model, name, input, shape, output) => {
    const tf = await loadTfNode('wasm')
    const ort = await loadOrtNode()
    const dir = join(modelsDir, model)
    const g = await graph(dir, name)
    const x = Float32Array.from(gaussianNoise(shape.reduce((a, b) => a * b, 1), 5), v => Math.max(-1, Math.min(1, v * 0.5)))
    const ours = tf.tidy(() => g.run({ [input]: tf.tensor(x, [...shape]) }).dataSync() as Float32Array)
    const session = await nodeSession(join(dir, 'onnx', `${name}.onnx`))
    const theirs = (await session.run({ [input]: new ort.Tensor('float32', x, [...shape]) }))[output]!.data as Float32Array
    expect(maxDiff(ours, theirs)).toBeLessThan(1e-4)
    g.dispose()
  })
})

describe('CLIP-guided generation', () => {
  it('raises the similarity to the prompt over 20 iterations, the same way for a seed', async () => {
    const tf = await loadTfNode('wasm')
    const t = await loadTransformersNode()
    const clipDir = folderId(join(SHIPPED_MODELS, 'micro-clip'))
    const tok = await t.AutoTokenizer.from_pretrained(clipDir)
    const textModel = await t.CLIPTextModelWithProjection.from_pretrained(clipDir, { dtype: 'fp32' })
    const text = (await textModel(tok(['red apple'], { padding: true, truncation: true }))).text_embeds.data as Float32Array
    const models = {
      decoder: await graph(join(SHIPPED_MODELS, 'micro-diffusion'), 'vae_decoder'),
      vision: await graph(join(SHIPPED_MODELS, 'micro-clip'), 'vision_model'),
      scaling: 1.06277,
      latentShape: [1, 4, 8, 8] as [number, number, number, number],
    }
    const start = gaussianNoise(256, 3)
    const run = new GuidedRun(tf, models, text, start, 3)
    for (let i = 0; i < 20; i++) run.step()
    expect(run.history).toHaveLength(21)
    expect(run.history[20]!).toBeGreaterThan(run.history[0]! + 0.1)
    const again = new GuidedRun(tf, models, text, start, 3)
    for (let i = 0; i < 3; i++) again.step()
    expect(again.history.slice(0, 4).map(v => v.toFixed(5))).toEqual(run.history.slice(0, 4).map(v => v.toFixed(5)))
    expect(run.rgba()).toHaveLength(32 * 32 * 4)
    run.dispose()
    again.dispose()
  }, 120_000)

  it('refuses a graph with an operation it does not run', async () => {
    const tf = await loadTfNode('wasm')
    const spec: GraphSpec = { inputs: ['x'], outputs: ['y'], weights: '', tensors: [], nodes: [{ op: 'LSTM', inputs: ['x'], outputs: ['y'], attrs: {} }] }
    expect(() => new TfGraph(tf, spec, new ArrayBuffer(0))).toThrow(UnsupportedOpError)
  })
})
