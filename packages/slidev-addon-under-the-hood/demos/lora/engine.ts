/**
 * LoRA for micro-diffusion's UNet, framework-free: read an adapter (config.json + a safetensors file),
 * check it against the base model's ONNX file, and merge it into the base weights,
 *
 *   W' = W + strength · (α / r) · B · A        (Hu et al. 2021)
 *
 * where W is a frozen projection [out, in], A is [r, in] and B is [out, r]. The merged model is the base
 * ONNX file with those initializers' bytes rewritten, so the deck runs it with the same runtime as the
 * base. Strength 0 leaves the file's bytes untouched: exactly the base model.
 */
import { onnxMatMulWeights, readFloats, writeFloats } from './onnx'
import type { OnnxWeight } from './onnx'

export class LoraError extends Error {
  constructor(message: string, readonly file = 'config.json') {
    super(message)
    this.name = 'LoraError'
  }
}

export interface LoraConfig {
  name: string
  type: 'lora'
  base_model: string
  base_sha256?: string
  trigger: string
  subject: string
  rank: number
  alpha: number
  target_modules: string[]
  file: string
  file_bytes?: number
  base_unet_bytes?: number
  subject_images?: string
  params: { adapter: number, targeted: number, base_unet: number }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const posInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0

/** Checks an adapter's config.json; `name` is the folder it came from. */
export function checkLoraConfig(raw: unknown, name: string): LoraConfig {
  if (!isObj(raw)) throw new LoraError(`The LoRA "${name}" has no readable config.json.`)
  if (raw.type !== 'lora') throw new LoraError(`"${name}" is not a LoRA adapter (its config.json says type ${JSON.stringify(raw.type)}).`)
  for (const k of ['base_model', 'trigger', 'subject', 'file'] as const) {
    if (typeof raw[k] !== 'string' || !raw[k]) throw new LoraError(`The LoRA "${name}" lacks "${k}" in its config.json.`)
  }
  if (!posInt(raw.rank)) throw new LoraError(`The LoRA "${name}" has rank ${JSON.stringify(raw.rank)}; a rank is a whole number from 1 up.`)
  if (typeof raw.alpha !== 'number' || !Number.isFinite(raw.alpha) || raw.alpha <= 0) throw new LoraError(`The LoRA "${name}" has alpha ${JSON.stringify(raw.alpha)}; alpha is a positive number.`)
  if (!Array.isArray(raw.target_modules) || !raw.target_modules.length || !raw.target_modules.every(m => typeof m === 'string'))
    throw new LoraError(`The LoRA "${name}" lists no target_modules.`)
  const p = isObj(raw.params) ? raw.params : {}
  return { ...(raw as unknown as LoraConfig), name: typeof raw.name === 'string' ? raw.name : name, params: { adapter: Number(p.adapter) || 0, targeted: Number(p.targeted) || 0, base_unet: Number(p.base_unet) || 0 } }
}

export interface Tensor { shape: number[], data: Float32Array }

/** Reads a safetensors file (8-byte header length, JSON header, little-endian data); float32 tensors only. */
export function parseSafetensors(bytes: Uint8Array, file = 'adapter.safetensors'): Map<string, Tensor> {
  const bad = (why: string) => new LoraError(`${file} is not a readable safetensors file: ${why}.`, file)
  if (bytes.length < 8) throw bad('it is shorter than its header')
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true))
  if (n > bytes.length - 8) throw bad(`its header claims ${n} bytes, the file has ${bytes.length - 8}`)
  let header: unknown
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)))
  }
  catch {
    throw bad('its header is not JSON')
  }
  if (!isObj(header)) throw bad('its header is not a table of tensors')
  const out = new Map<string, Tensor>()
  const base = 8 + n
  for (const [k, v] of Object.entries(header)) {
    if (k === '__metadata__') continue
    if (!isObj(v) || !Array.isArray(v.shape) || !Array.isArray(v.data_offsets)) throw bad(`entry ${k} has no shape or offsets`)
    if (v.dtype !== 'F32') throw bad(`${k} is ${String(v.dtype)}; this reader takes float32 (F32)`)
    const [a = Number.NaN, b = Number.NaN] = v.data_offsets as number[]
    const shape = v.shape as number[]
    const count = shape.reduce((x, y) => x * y, 1)
    if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b - a !== count * 4 || base + b > bytes.length) throw bad(`${k}'s data does not fit its shape`)
    out.set(k, { shape, data: new Float32Array(bytes.slice(base + a, base + b).buffer) })
  }
  return out
}

export interface LoraLayer {
  module: string
  /** The base weight as the ONNX file stores it: Wᵀ, [in, out]. */
  weight: OnnxWeight
  inDim: number
  outDim: number
  A: Float32Array
  B: Float32Array
}

/** An adapter checked against one base model file, ready to merge. */
export class LoraAdapter {
  readonly layers: LoraLayer[]
  constructor(readonly config: LoraConfig, layers: LoraLayer[]) {
    this.layers = layers
  }

  /** α / r: the factor the LoRA paper puts in front of B·A. */
  get factor(): number {
    return this.config.alpha / this.config.rank
  }

  get adapterParams(): number {
    return this.layers.reduce((s, l) => s + l.A.length + l.B.length, 0)
  }

  get targetedParams(): number {
    return this.layers.reduce((s, l) => s + l.inDim * l.outDim, 0)
  }

  layer(module: string): LoraLayer {
    const l = this.layers.find(x => x.module === module)
    if (!l) throw new LoraError(`The LoRA "${this.config.name}" has no layer ${module}.`)
    return l
  }
}

/**
 * Binds an adapter's tensors to the base model's ONNX file: every target module must be a projection of
 * that file, with A [r, in] and B [out, r] of its shape. Anything else is an adapter for another model.
 */
export function bindLora(config: LoraConfig, tensors: Map<string, Tensor>, baseModel: Uint8Array, baseName: string, baseSha256?: string): LoraAdapter {
  if (config.base_model !== baseName)
    throw new LoraError(`The LoRA "${config.name}" was made for the model "${config.base_model}", not "${baseName}". The base model still works without it.`)
  if (config.base_sha256 && baseSha256 && config.base_sha256 !== baseSha256)
    throw new LoraError(`The LoRA "${config.name}" was made for another version of ${baseName} (its UNet file differs from the one it was trained on). The base model still works without it.`)
  const weights = onnxMatMulWeights(baseModel)
  const layers: LoraLayer[] = []
  const r = config.rank
  for (const module of config.target_modules) {
    const w = weights.get(module)
    if (!w || w.dims.length !== 2)
      throw new LoraError(`The LoRA "${config.name}" changes the layer ${module}, which ${baseName}'s UNet does not have: it was made for another base model.`, config.file)
    const [inDim, outDim] = w.dims as [number, number]
    const A = tensors.get(`unet.${module}.lora_A`)
    const B = tensors.get(`unet.${module}.lora_B`)
    if (!A || !B) throw new LoraError(`${config.file} has no A and B for the layer ${module}.`, config.file)
    const want = (t: Tensor, s: number[]) => t.shape.length === s.length && t.shape.every((d, i) => d === s[i])
    if (!want(A, [r, inDim]) || !want(B, [outDim, r]))
      throw new LoraError(`The LoRA "${config.name}" has the wrong shape for ${module}: A is [${A.shape.join(', ')}] and B [${B.shape.join(', ')}], `
        + `the base layer needs A [${r}, ${inDim}] and B [${outDim}, ${r}] (rank ${r}). It was made for another base model.`, config.file)
    if (![...A.data, ...B.data].every(Number.isFinite))
      throw new LoraError(`The LoRA "${config.name}" has numbers that are not finite in ${module}.`, config.file)
    layers.push({ module, weight: w, inDim, outDim, A: A.data, B: B.data })
  }
  return new LoraAdapter(config, layers)
}

/** ΔW = (α/r)·B·A as torch's Linear holds it, [out, in] row-major. */
export function loraDelta(layer: Pick<LoraLayer, 'A' | 'B' | 'inDim' | 'outDim'>, rank: number, factor: number): Float32Array {
  const { A, B, inDim, outDim } = layer
  const d = new Float32Array(outDim * inDim)
  for (let o = 0; o < outDim; o++) {
    for (let k = 0; k < rank; k++) {
      const b = B[o * rank + k]! * factor
      if (b === 0) continue
      for (let i = 0; i < inDim; i++) d[o * inDim + i]! += b * A[k * inDim + i]!
    }
  }
  return d
}

/** W' = W + s·ΔW for a weight stored as the ONNX file does (Wᵀ, [in, out]); a new array. */
export function mergeTransposed(wt: Float32Array, delta: Float32Array, inDim: number, outDim: number, strength: number): Float32Array {
  const out = Float32Array.from(wt)
  if (strength === 0) return out
  for (let o = 0; o < outDim; o++)
    for (let i = 0; i < inDim; i++) out[i * outDim + o]! += strength * delta[o * inDim + i]!
  return out
}

/** Transposes [rows, cols] row-major to [cols, rows]. */
export function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(x.length)
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = x[r * cols + c]!
  return out
}

/** The base weight of one layer as torch's Linear holds it, [out, in]. */
export function baseWeight(baseModel: Uint8Array, layer: LoraLayer): Float32Array {
  return transpose(readFloats(baseModel, layer.weight), layer.inDim, layer.outDim)
}

/**
 * The base ONNX file with the adapter merged at `strength`: a copy whose targeted initializers hold
 * W + strength·(α/r)·B·A. At strength 0 the copy is byte for byte the base.
 */
export function mergeLora(baseModel: Uint8Array, adapter: LoraAdapter, strength: number): Uint8Array {
  if (!Number.isFinite(strength)) throw new LoraError(`A LoRA strength must be a number; got ${strength}.`)
  const out = baseModel.slice()
  if (strength === 0) return out
  for (const l of adapter.layers) {
    const merged = mergeTransposed(readFloats(baseModel, l.weight), loraDelta(l, adapter.config.rank, adapter.factor), l.inDim, l.outDim, strength)
    writeFloats(out, l.weight, merged)
  }
  return out
}

export interface LayerView {
  module: string
  rank: number
  inDim: number
  outDim: number
  /** [out, in] row-major, as torch's Linear holds it */
  W: Float32Array
  A: Float32Array
  B: Float32Array
  /** (α/r)·B·A, [out, in] */
  delta: Float32Array
  /** W + strength·(α/r)·B·A */
  merged: Float32Array
}

/** What the slide draws for one layer: the frozen W, the thin A and B, their product, and the merged weight. */
export function layerView(baseModel: Uint8Array, adapter: LoraAdapter, module: string, strength: number): LayerView {
  const l = adapter.layer(module)
  const W = baseWeight(baseModel, l)
  const delta = loraDelta(l, adapter.config.rank, adapter.factor)
  return { module, rank: adapter.config.rank, inDim: l.inDim, outDim: l.outDim, W, A: l.A, B: l.B, delta, merged: W.map((w, i) => w + strength * delta[i]!) }
}

/** The largest |x|: a symmetric colour scale for a heatmap. */
export function absMax(x: ArrayLike<number>): number {
  let m = 0
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]!))
  return m || 1
}

/**
 * A matrix as RGBA pixels on a diverging scale: negative blue, zero white, positive red, saturated at
 * ±range (so two heatmaps with one range compare).
 */
export function heatmapRgba(x: ArrayLike<number>, range: number): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(x.length * 4)
  for (let i = 0; i < x.length; i++) {
    const v = Math.max(-1, Math.min(1, x[i]! / range))
    const a = Math.abs(v)
    // white → #b2182b (positive) or #2166ac (negative)
    const [r, g, b] = v >= 0 ? [178, 24, 43] : [33, 102, 172]
    out[i * 4] = 255 + (r - 255) * a
    out[i * 4 + 1] = 255 + (g - 255) * a
    out[i * 4 + 2] = 255 + (b - 255) * a
    out[i * 4 + 3] = 255
  }
  return out
}

export interface Heatmap { rgba: Uint8ClampedArray<ArrayBuffer>, width: number, height: number }

/**
 * The slide's heatmaps of one layer: W and W′ on one colour scale (so the change shows), A and B each on
 * their own, and B·A on its own scale, `enlarged` times W's (it is much smaller than W).
 */
export function layerHeatmaps(v: LayerView): { W: Heatmap, A: Heatmap, B: Heatmap, delta: Heatmap, merged: Heatmap, enlarged: number } {
  const wr = absMax(v.W)
  const dr = absMax(v.delta)
  const map = (x: Float32Array, range: number, width: number, height: number): Heatmap => ({ rgba: heatmapRgba(x, range), width, height })
  return {
    W: map(v.W, wr, v.inDim, v.outDim),
    A: map(v.A, absMax(v.A), v.inDim, v.rank),
    B: map(v.B, absMax(v.B), v.rank, v.outDim),
    delta: map(v.delta, dr, v.inDim, v.outDim),
    merged: map(v.merged, wr, v.inDim, v.outDim),
    enlarged: wr / dr,
  }
}
