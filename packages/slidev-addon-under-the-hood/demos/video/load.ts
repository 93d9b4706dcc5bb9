/**
 * Loads micro-video in the browser: its config and video UNet through the shared runtime, on the image
 * model it extends (micro-diffusion: text encoder, autoencoder, and the image UNet for comparisons),
 * loaded once for every demo that uses it. The video UNet follows the image model's backend.
 */
import { createOrtSession, loadModel, loadOrt, modelFileUrl, wrapLoad } from '../runtime'
import type { BackendPreference } from '../runtime'
import type { OrtLike, SessionLike } from '../runtime/ort'
import { loadDiffusion } from '../diffusion/load'
import type { LoadedDiffusion } from '../diffusion/load'
import type { VideoConfig } from './clip'

export interface LoadedVideo { config: VideoConfig, image: LoadedDiffusion, session: SessionLike, ort: OrtLike }

export function loadVideo(demo: string, model = 'micro-video', preference?: BackendPreference,
  onProgress?: (v: number) => void): Promise<LoadedVideo> {
  return loadModel('video', model, demo, async () => {
    const config = await wrapLoad(model, async () => (await fetch(modelFileUrl(model, 'config.json'))).json() as Promise<VideoConfig>)
    const image = await loadDiffusion(demo, config.image_model, preference, p => onProgress?.(p * 0.6))
    const video = await createOrtSession(demo, model, 'onnx/video_unet.onnx', image.backend)
    onProgress?.(1)
    return { config, image, session: video.session as unknown as SessionLike, ort: await loadOrt() as unknown as OrtLike }
  }, preference ?? 'page')
}
