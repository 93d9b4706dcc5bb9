/**
 * The micro-diffusion networks behind the `DiffusionNets` interface, on ONNX Runtime sessions —
 * onnxruntime-web in the browser (WebGPU or WASM), onnxruntime-node in Node (CLI, tests). Nothing here
 * imports a runtime: the caller passes its `Tensor` class and sessions in.
 */
import type { OrtLike, SessionLike } from '../runtime/ort'
import type { Conditioning, DiffusionNets } from './sampler'


export interface DiffusionSessions {
  /** micro-clip/onnx/text_model.onnx: input_ids, attention_mask → text_embeds, last_hidden_state */
  text: SessionLike
  /** micro-diffusion/onnx/unet.onnx */
  unet: SessionLike
  /** micro-diffusion/onnx/vae_decoder.onnx */
  decoder: SessionLike
  /** micro-diffusion/onnx/vae_encoder.onnx (optional: only the latent-space demo needs it) */
  encoder?: SessionLike
}

/** Token ids of one prompt, framed ([CLS] … [SEP]) as micro-CLIP's tokenizer does. */
export type EncodeIds = (text: string) => number[]

/** Cuts framed ids to `maxLen`, keeping the closing [SEP]. */
export function fitIds(ids: number[], maxLen: number): { ids: number[], truncated: boolean } {
  if (ids.length <= maxLen)
    return { ids, truncated: false }
  return { ids: [...ids.slice(0, maxLen - 1), ids[ids.length - 1]!], truncated: true }
}

/**
 * A text encoder on an ORT session (input_ids, attention_mask → last_hidden_state, text_embeds) for prompts
 * already turned into ids: the conditioning the sampler takes, shorter rows padded and masked.
 */
export async function ortEncodeIds(ort: OrtLike, text: SessionLike, rows: { ids: number[], truncated: boolean }[]): Promise<Conditioning> {
  const L = Math.max(...rows.map(f => f.ids.length))
  const B = rows.length
  const ids = new BigInt64Array(B * L)
  const mask = new BigInt64Array(B * L)
  const maskF = new Float32Array(B * L)
  rows.forEach((f, b) => f.ids.forEach((id, j) => {
    ids[b * L + j] = BigInt(id)
    mask[b * L + j] = 1n
    maskF[b * L + j] = 1
  }))
  const out = await text.run({ input_ids: new ort.Tensor('int64', ids, [B, L]), attention_mask: new ort.Tensor('int64', mask, [B, L]) })
  const states = out.last_hidden_state!
  const pooled = out.text_embeds!
  return {
    batch: B,
    length: L,
    states: Float32Array.from(states.data as Float32Array),
    mask: maskF,
    pooled: Float32Array.from(pooled.data as Float32Array),
    width: states.dims[2]!,
    pooledWidth: pooled.dims[1]!,
    tokens: rows.map(f => f.ids.length),
    truncated: rows.map(f => f.truncated),
  }
}

/**
 * The UNet step on an ORT session: ε̂ for a batch of square latents (`channels` deep) at step t; `extra`
 * makes further inputs a model takes from the conditioning (micro-audio's pitch hint).
 */
export function ortDenoise(ort: OrtLike, unet: SessionLike, channels = 4,
  extra: Record<string, (cond: Conditioning) => unknown> = {}): DiffusionNets['denoise'] {
  const f32 = (data: Float32Array, dims: number[]) => new ort.Tensor('float32', data, dims)
  return async (x, t, cond) => {
    const per = x.length / cond.batch
    const side = Math.round(Math.sqrt(per / channels))
    const out = await unet.run({
      sample: f32(x, [cond.batch, channels, side, side]),
      timestep: f32(new Float32Array(cond.batch).fill(t), [cond.batch]),
      encoder_hidden_states: f32(cond.states, [cond.batch, cond.length, cond.width]),
      encoder_attention_mask: f32(cond.mask, [cond.batch, cond.length]),
      text_embeds: f32(cond.pooled, [cond.batch, cond.pooledWidth]),
      ...Object.fromEntries(Object.entries(extra).map(([k, f]) => [k, f(cond)])),
    })
    return Float32Array.from(out.noise_pred!.data as Float32Array)
  }
}

/** The same networks with another UNet (a LoRA-merged copy of the base, say). */
export function withUnet(nets: DiffusionNets, ort: OrtLike, unet: SessionLike): DiffusionNets {
  return { ...nets, denoise: ortDenoise(ort, unet) }
}

export function ortNets(ort: OrtLike, s: DiffusionSessions, encodeIds: EncodeIds, maxLen = 32): DiffusionNets {
  const f32 = (data: Float32Array, dims: number[]) => new ort.Tensor('float32', data, dims)
  return {
    encodeText: async prompts => ortEncodeIds(ort, s.text, prompts.map(p => fitIds(encodeIds(p), maxLen))),
    denoise: ortDenoise(ort, s.unet),
    async decode(latents, n) {
      const side = Math.round(Math.sqrt(latents.length / n / 4))
      const out = await s.decoder.run({ latent: f32(Float32Array.from(latents), [n, 4, side, side]) })
      return Float32Array.from(out.sample!.data as Float32Array)
    },
    encode: s.encoder
      ? async (pixels, n) => {
        const side = Math.round(Math.sqrt(pixels.length / n / 3))
        const out = await s.encoder!.run({ pixel_values: f32(Float32Array.from(pixels), [n, 3, side, side]) })
        return Float32Array.from(out.latent!.data as Float32Array)
      }
      : undefined,
  }
}

/** Repeats a conditioning (e.g. [∅, prompt]) so a batch of k latents pairs up: [∅ × k, prompt × k]. */
export function repeatConditioning(c: Conditioning, k: number): Conditioning {
  if (c.batch !== 2)
    throw new Error('repeatConditioning expects [unconditional, prompt]')
  const rows = (data: Float32Array, per: number) => {
    const out = new Float32Array(2 * k * per)
    for (let i = 0; i < k; i++) {
      out.set(data.subarray(0, per), i * per)
      out.set(data.subarray(per, 2 * per), (k + i) * per)
    }
    return out
  }
  return {
    ...c,
    batch: 2 * k,
    states: rows(c.states, c.length * c.width),
    mask: rows(c.mask, c.length),
    pooled: rows(c.pooled, c.pooledWidth),
    tokens: [...Array(k).fill(c.tokens[0]), ...Array(k).fill(c.tokens[1])],
    truncated: [...Array(k).fill(c.truncated[0]), ...Array(k).fill(c.truncated[1])],
  }
}
