/**
 * Loads micro-audio in the browser through the shared runtime: its config and two ORT sessions (the text
 * encoder and the UNet) on WebGPU or WASM, one copy for every demo that uses it.
 */
import { backendReports, createOrtSession, loadModel, loadOrt, modelFileUrl, reportBackend, wrapLoad } from '../runtime'
import type { Backend, BackendPreference } from '../runtime'
import type { DiffusionNets } from '../diffusion/sampler'
import type { OrtLike, SessionLike } from '../runtime/ort'
import type { AudioConfig } from './sound'
import { audioNets } from './sound'

export interface LoadedAudio { nets: DiffusionNets, config: AudioConfig, backend: Backend }

export function loadAudio(demo: string, model = 'micro-audio', preference?: BackendPreference,
  onProgress?: (v: number) => void): Promise<LoadedAudio> {
  return loadModel('audio', model, demo, async () => {
    const config = await wrapLoad(model, async () => (await fetch(modelFileUrl(model, 'config.json'))).json() as Promise<AudioConfig>)
    onProgress?.(0.1)
    const unet = await createOrtSession(demo, model, 'onnx/unet.onnx', preference)
    const report = backendReports().get(demo)
    onProgress?.(0.8)
    const text = await createOrtSession(demo, model, 'onnx/text_encoder.onnx', unet.backend)
    if (report)
      reportBackend(report)
    onProgress?.(1)
    const ort = await loadOrt() as unknown as OrtLike
    return { config, backend: unet.backend, nets: audioNets(ort, { text: text.session as unknown as SessionLike, unet: unet.session as unknown as SessionLike }, config) }
  }, preference ?? 'page')
}
