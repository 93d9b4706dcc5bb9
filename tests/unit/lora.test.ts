/**
 * LoRA adapters for micro-diffusion: the TypeScript merge against torch's for one layer, the merged ONNX
 * UNet against torch's merged UNet (parity.json, written by `npm run train -- lora`), strength 0 as the
 * base byte for byte, and the refusals of adapters that do not fit.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { SHIPPED_MODELS } from '../../packages/slidev-addon-under-the-hood/demos/runtime/node'
import { loadDiffusionNode } from '../../packages/slidev-addon-under-the-hood/demos/diffusion/node'
import type { NodeDiffusion } from '../../packages/slidev-addon-under-the-hood/demos/diffusion/node'
import { baseWeight, bindLora, checkLoraConfig, heatmapRgba, layerHeatmaps, layerView, LoraError, loraDelta, mergeLora, parseSafetensors } from '../../packages/slidev-addon-under-the-hood/demos/lora/engine'
import type { LoraAdapter, Tensor } from '../../packages/slidev-addon-under-the-hood/demos/lora/engine'
import { moduleOfNode, onnxMatMulWeights, readFloats } from '../../packages/slidev-addon-under-the-hood/demos/lora/onnx'
import { baseUnetBytes, loadLoraNode, loraNetsNode } from '../../packages/slidev-addon-under-the-hood/demos/lora/node'
import { maxDiff } from '../lib/numbers'

const ROOT = join(import.meta.dirname, '..', '..')
const SHIPPED_LORA = join(SHIPPED_MODELS, 'micro-diffusion', 'lora')
const SMOKE_LORA = join(ROOT, 'training', 'runs', 'smoke', 'lora')
const shipped = existsSync(SHIPPED_LORA) ? readdirSync(SHIPPED_LORA).filter(n => !n.startsWith('.')) : []
const folders: [string, string][] = shipped.map(n => [`shipped ${n}`, join(SHIPPED_LORA, n)])
if (existsSync(SMOKE_LORA)) for (const n of readdirSync(SMOKE_LORA).filter(n => !n.startsWith('.'))) folders.push([`smoke run ${n}`, join(SMOKE_LORA, n)])

const base = baseUnetBytes(SHIPPED_MODELS)
let diffusion: NodeDiffusion
beforeAll(async () => { diffusion = await loadDiffusionNode(SHIPPED_MODELS) })

function open(dir: string): LoraAdapter {
  const config = checkLoraConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')), dir)
  return bindLora(config, parseSafetensors(new Uint8Array(readFileSync(join(dir, config.file)))), base, 'micro-diffusion')
}

it('ships at least two ranks of one adapter, whose subject is named as emoji-datasource spells it', () => {
  const configs = shipped.map(n => checkLoraConfig(JSON.parse(readFileSync(join(SHIPPED_LORA, n, 'config.json'), 'utf8')), n))
  expect(new Set(configs.map(c => c.rank)).size).toBeGreaterThanOrEqual(2)
  expect(new Set(configs.map(c => c.trigger)).size).toBe(1)
  const meta = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'emoji-datasource-google', 'emoji.json'), 'utf8')) as { name: string, short_name: string, unified: string }[]
  for (const c of configs as (typeof configs[number] & { subject_unified: string, subject_short_name: string })[]) {
    const e = meta.find(m => m.unified === c.subject_unified)
    expect(e?.name).toBe(c.subject)
    expect(e?.short_name).toBe(c.subject_short_name)
  }
})

describe.each(folders)('LoRA (%s)', (_name, dir) => {
  const parity = JSON.parse(readFileSync(join(dir, 'parity.json'), 'utf8')) as {
    layer: string, strength: number, merged_weight: number[], merged_shape: [number, number]
    unet: { strength: number, sample: number[], timestep: number[], prompts: string[], noise_pred: number[] }
  }

  it('merges one layer in TypeScript as torch does: W + s·(α/r)·B·A', () => {
    const a = open(dir)
    const layer = a.layer(parity.layer)
    expect([layer.outDim, layer.inDim]).toEqual(parity.merged_shape)
    const w = baseWeight(base, layer)
    const d = loraDelta(layer, a.config.rank, a.factor)
    const merged = w.map((x, i) => x + parity.strength * d[i]!)
    expect(maxDiff(merged, parity.merged_weight)).toBeLessThan(1e-6)
    // and the adapter changes that layer (a trained B is not zero)
    expect(maxDiff(merged, w)).toBeGreaterThan(1e-4)
  })

  it('the merged ONNX UNet predicts the noise torch\'s merged UNet predicted', async () => {
    const a = open(dir)
    const nets = await loraNetsNode(diffusion.nets, base, a, parity.unet.strength)
    const cond = await diffusion.nets.encodeText(parity.unet.prompts)
    const eps = await nets.denoise(Float32Array.from(parity.unet.sample), parity.unet.timestep[0]!, cond)
    expect(maxDiff(eps, parity.unet.noise_pred)).toBeLessThan(2e-4)
    // the base alone does not (the adapter is in the numbers)
    const plain = await diffusion.nets.denoise(Float32Array.from(parity.unet.sample), parity.unet.timestep[0]!, cond)
    expect(maxDiff(plain, parity.unet.noise_pred)).toBeGreaterThan(1e-3)
  })

  it('at strength 0 the merged file is the base file, byte for byte; above 0 only the targeted weights change', () => {
    const a = open(dir)
    expect(Buffer.compare(Buffer.from(mergeLora(base, a, 0)), Buffer.from(base))).toBe(0)
    const merged = mergeLora(base, a, 0.5)
    const weights = onnxMatMulWeights(base)
    const targeted = new Set(a.config.target_modules)
    for (const [module, w] of weights) {
      const same = maxDiff(readFloats(merged, w), readFloats(base, w)) === 0
      expect(same, module).toBe(!targeted.has(module))
    }
    expect(merged.length).toBe(base.length)
  })

  it('counts its parameters as its config says: r·(in + out) per targeted layer', () => {
    const a = open(dir)
    const r = a.config.rank
    expect(a.adapterParams).toBe(a.layers.reduce((s, l) => s + r * (l.inDim + l.outDim), 0))
    expect(a.adapterParams).toBe(a.config.params.adapter)
    expect(a.targetedParams).toBe(a.config.params.targeted)
  })
})

describe('LoRA, bad adapters: a clear message, and the base still works', () => {
  const dir = folders[0]![1]
  const config = () => checkLoraConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')), 'x')
  const tensors = () => parseSafetensors(new Uint8Array(readFileSync(join(dir, config().file))))

  it('refuses A and B of the wrong shape', () => {
    const t = tensors()
    const [k, v] = [...t].find(([k]) => k.endsWith('.lora_A'))!
    t.set(k, { shape: [v.shape[0]!, v.shape[1]! - 1], data: v.data.slice(0, v.shape[0]! * (v.shape[1]! - 1)) })
    expect(() => bindLora(config(), t, base, 'micro-diffusion')).toThrow(/wrong shape .*needs A \[/)
  })

  it('refuses an adapter for another base model, by name, by file, or by its layers', () => {
    expect(() => bindLora({ ...config(), base_model: 'stable-diffusion-1.5' }, tensors(), base, 'micro-diffusion')).toThrow(/made for the model "stable-diffusion-1.5"/)
    expect(() => bindLora(config(), tensors(), base, 'micro-diffusion', '0'.repeat(64))).toThrow(/another version of micro-diffusion/)
    expect(() => bindLora({ ...config(), target_modules: ['down_blocks.0.attentions.0.to_q'] }, tensors(), base, 'micro-diffusion')).toThrow(/does not have: it was made for another base model/)
  })

  it('refuses a damaged or foreign file and a bad config', () => {
    expect(() => parseSafetensors(new Uint8Array([1, 2, 3]))).toThrow(LoraError)
    const junk = new Uint8Array(64)
    new DataView(junk.buffer).setBigUint64(0, 1000n, true)
    expect(() => parseSafetensors(junk)).toThrow(/header claims 1000 bytes/)
    const half = new Uint8Array(readFileSync(join(dir, config().file))).slice(0, 2000)
    expect(() => parseSafetensors(half)).toThrow(/not a readable safetensors file/)
    expect(() => checkLoraConfig({ type: 'lora', base_model: 'micro-diffusion', trigger: 'x', subject: 'y', file: 'a', rank: 0, alpha: 1, target_modules: ['a'] }, 'x')).toThrow(/rank 0/)
    expect(() => checkLoraConfig({ type: 'checkpoint' }, 'x')).toThrow(/not a LoRA adapter/)
    const t = tensors()
    const [k, v] = [...t].find(([k]) => k.endsWith('.lora_B'))!
    const nan: Tensor = { shape: v.shape, data: v.data.map((x, i) => i === 0 ? Number.NaN : x) }
    t.set(k, nan)
    expect(() => bindLora(config(), t, base, 'micro-diffusion')).toThrow(/not finite/)
    expect(() => loadLoraNode(SHIPPED_MODELS, 'no-such-adapter', base)).toThrow(/No LoRA "no-such-adapter"/)
  })

  it('the base model still generates after a refusal', async () => {
    expect(() => bindLora({ ...config(), base_model: 'other' }, tensors(), base, 'micro-diffusion')).toThrow(LoraError)
    const cond = await diffusion.nets.encodeText(['', 'red apple'])
    const eps = await diffusion.nets.denoise(new Float32Array(2 * 4 * 8 * 8).fill(0.1), 500, cond)
    expect(eps.every(Number.isFinite)).toBe(true)
  })
})

it('finds the module of an exported MatMul from its node name', () => {
  expect(moduleOfNode('/unet/a0/self_attn/q/MatMul')).toBe('a0.self_attn.q')
  expect(moduleOfNode('/unet/a0/ff/ff.0/MatMul')).toBe('a0.ff.0')
  expect(onnxMatMulWeights(base).get('ma.cross_attn.k')?.dims).toEqual([128, 112])
})

it('draws a layer: W and W′ on one scale, zero white, negative blue, positive red', () => {
  const dir = folders[0]![1]
  const a = open(dir)
  const off = layerView(base, a, 'ma.cross_attn.v', 0)
  expect(maxDiff(off.merged, off.W)).toBe(0)
  const on = layerView(base, a, 'ma.cross_attn.v', 1)
  const h = layerHeatmaps(on)
  expect([h.W.width, h.W.height, h.A.width, h.A.height, h.B.width, h.B.height]).toEqual([on.inDim, on.outDim, on.inDim, on.rank, on.rank, on.outDim])
  expect(h.enlarged).toBeGreaterThan(0)
  expect([...heatmapRgba([0, -1, 1], 1)]).toEqual([255, 255, 255, 255, 33, 102, 172, 255, 178, 24, 43, 255])
})
