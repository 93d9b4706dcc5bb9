/**
 * LoRA adapters in the browser: micro-diffusion through the shared loader, the base UNet's file, and each
 * adapter's config.json + safetensors checked against it. A broken or foreign adapter becomes a message
 * on its own entry; the base model keeps working. `LoraUnets` builds the merged UNet for an adapter at a
 * strength (one ORT session at a time) on the base's backend.
 */
import { loadOrt, modelFileUrl, ortSessionFromBytes, wrapLoad } from '../runtime'
import type { BackendPreference } from '../runtime'
import type { OrtLike, SessionLike } from '../runtime/ort'
import { loadDiffusion } from '../diffusion/load'
import type { LoadedDiffusion } from '../diffusion/load'
import type { DiffusionNets } from '../diffusion/sampler'
import { withUnet } from '../diffusion/nets'
import { errorText } from '../frame/errors'
import { bindLora, checkLoraConfig, LoraAdapter, LoraError, mergeLora, parseSafetensors } from './engine'

export interface LoraEntry { name: string, adapter?: LoraAdapter, problem?: string, subjectUrl?: string }
export interface LoadedLora { base: LoadedDiffusion, baseUnet: Uint8Array, entries: LoraEntry[], unets: LoraUnets }

async function sha256(bytes: Uint8Array): Promise<string | undefined> {
  if (!globalThis.crypto?.subtle) return undefined
  const d = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)
  return [...new Uint8Array(d)].map(b => b.toString(16).padStart(2, '0')).join('')
}

async function fetchOk(url: string, name: string, file: string): Promise<Response> {
  const res = await fetch(url).catch((err: unknown) => { throw new LoraError(`Could not reach ${url}: ${String(err)}`, file) })
  if (!res.ok || (res.headers.get('content-type') ?? '').includes('text/html'))
    throw new LoraError(`The LoRA "${name}" has no ${file} at ${url}: put the adapter's folder there, or leave it out of the slide's \`loras\`.`, file)
  return res
}

/** One adapter from `models/<model>/lora/<name>/`, checked against the base UNet's bytes. */
export async function loadLoraEntry(model: string, name: string, baseUnet: Uint8Array, baseSha?: string): Promise<LoraEntry> {
  try {
    const dir = `lora/${name}`
    const raw = await (await fetchOk(modelFileUrl(model, `${dir}/config.json`), name, 'config.json')).json().catch(() => null)
    const config = checkLoraConfig(raw, name)
    const bytes = new Uint8Array(await (await fetchOk(modelFileUrl(model, `${dir}/${config.file}`), name, config.file)).arrayBuffer())
    const adapter = bindLora(config, parseSafetensors(bytes, config.file), baseUnet, model, baseSha)
    return { name, adapter, subjectUrl: config.subject_images ? modelFileUrl(model, `${dir}/${config.subject_images}`) : undefined }
  }
  catch (err) {
    return { name, problem: errorText(err) }
  }
}

type Merged = { key: string, nets: DiffusionNets, session: SessionLike & { release?: () => Promise<void> } }

/**
 * The merged UNet for one adapter at one strength. The last two stay open (a generation that was just
 * superseded may still be running on the older one); the one before them is released.
 */
export class LoraUnets {
  private open: Merged[] = []
  constructor(private demo: string, private model: string, private base: LoadedDiffusion, private baseUnet: Uint8Array, private ort: OrtLike) {}

  async nets(adapter: LoraAdapter, strength: number): Promise<DiffusionNets> {
    const key = `${adapter.config.name}@${strength}`
    const known = this.open.find(m => m.key === key)
    if (known) return known.nets
    const bytes = mergeLora(this.baseUnet, adapter, strength)
    const { session } = await ortSessionFromBytes(this.demo, this.model, bytes, this.base.backend)
    const merged: Merged = { key, session: session as never, nets: withUnet(this.base.nets, this.ort, session as unknown as SessionLike) }
    this.open.push(merged)
    while (this.open.length > 2) this.open.shift()!.session.release?.().catch(() => {})
    return merged.nets
  }
}

export async function loadLora(demo: string, model: string, names: readonly string[], preference?: BackendPreference,
  onProgress?: (v: number) => void): Promise<LoadedLora> {
  const base = await loadDiffusion(demo, model, preference, v => onProgress?.(v * 0.7))
  const baseUnet = await wrapLoad(model, async () => new Uint8Array(await (await fetch(modelFileUrl(model, 'onnx/unet.onnx'))).arrayBuffer()))
  const sha = await sha256(baseUnet)
  const entries = await Promise.all(names.map(n => loadLoraEntry(model, n, baseUnet, sha)))
  onProgress?.(1)
  const ort = await loadOrt()
  return { base, baseUnet, entries, unets: new LoraUnets(demo, model, base, baseUnet, ort as unknown as OrtLike) }
}
