/**
 * Loads micro-diffusion in the browser through the shared runtime: micro-CLIP's tokenizer (transformers.js)
 * and four ORT sessions (text encoder, UNet, VAE decoder and encoder) on WebGPU or WASM. The demos on the
 * diffusion slides share one copy (the runtime's model registry, loadModel); each demo gets its own backend report.
 */
import { backendReports, checkModelFiles, createOrtSession, loadModel, loadOrt, loadTransformers, modelFileUrl, reportBackend, wrapLoad } from '../runtime'
import type { Backend, BackendPreference } from '../runtime'
import type { DiffusionConfig, DiffusionNets } from './sampler'
import type { OrtLike, SessionLike } from '../runtime/ort'
import { ortNets } from './nets'

export interface LoadedDiffusion { nets: DiffusionNets, config: DiffusionConfig, backend: Backend }

export function loadDiffusion(demo: string, model = 'micro-diffusion', preference?: BackendPreference,
  onProgress?: (v: number) => void): Promise<LoadedDiffusion> {
  return loadModel('diffusion', model, demo, () => load(demo, model, preference, onProgress), preference ?? 'page')
}

async function load(demo: string, model: string, preference: BackendPreference | undefined,
  onProgress?: (v: number) => void): Promise<LoadedDiffusion> {
  const config = await wrapLoad(model, async () => (await fetch(modelFileUrl(model, 'config.json'))).json() as Promise<DiffusionConfig>)
  const textModel = config.text_encoder.model
  await checkModelFiles(textModel, ['tokenizer.json', 'tokenizer_config.json', 'onnx/text_model.onnx'])
  const t = await loadTransformers()
  const tok = await wrapLoad(textModel, () => t.AutoTokenizer.from_pretrained(textModel))
  onProgress?.(0.15)
  const unet = await createOrtSession(demo, model, 'onnx/unet.onnx', preference)
  const unetReport = backendReports().get(demo)
  onProgress?.(0.6)
  // The small nets follow the UNet's backend (one device for the whole pipeline).
  const pref = unet.backend
  const [text, decoder, encoder] = await Promise.all([
    createOrtSession(demo, textModel, 'onnx/text_model.onnx', pref),
    createOrtSession(demo, model, 'onnx/vae_decoder.onnx', pref),
    createOrtSession(demo, model, 'onnx/vae_encoder.onnx', pref),
  ])
  // createOrtSession reports each session; the badge should tell the UNet's story (fallback reason included).
  if (unetReport)
    reportBackend(unetReport)
  onProgress?.(1)
  const ort = await loadOrt()
  const nets = ortNets(ort as unknown as OrtLike, {
    text: text.session as unknown as SessionLike,
    unet: unet.session as unknown as SessionLike,
    decoder: decoder.session as unknown as SessionLike,
    encoder: encoder.session as unknown as SessionLike,
  }, s => tok.encode(s) as number[])
  return { nets, config, backend: unet.backend }
}
