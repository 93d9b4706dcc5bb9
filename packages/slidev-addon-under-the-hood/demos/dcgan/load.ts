/**
 * Loads micro-GAN's generator snapshots in the browser through the shared runtime: config.json, then one
 * ORT session per snapshot (small files, loaded together so scrubbing is instant), on WebGPU or WASM.
 */
import { checkModelFiles, createOrtSession, loadModel, loadOrt, modelFileUrl, wrapLoad } from '../runtime'
import type { Backend, BackendPreference } from '../runtime'
import type { OrtLike, SessionLike } from '../runtime/ort'
import { DemoError } from '../frame/errors'
import { checkGanConfig, GanConfigError, GanSnapshots } from './engine'

export interface LoadedGan { gan: GanSnapshots, backend: Backend }

export function loadGan(demo: string, model = 'micro-gan', preference?: BackendPreference,
  onProgress?: (v: number) => void): Promise<LoadedGan> {
  return loadModel('gan', model, demo, () => load(demo, model, preference, onProgress), preference ?? 'page')
}

async function load(demo: string, model: string, preference: BackendPreference | undefined,
  onProgress?: (v: number) => void): Promise<LoadedGan> {
  const raw = await wrapLoad(model, async () => (await fetch(modelFileUrl(model, 'config.json'))).json() as Promise<unknown>)
  let config
  try {
    config = checkGanConfig(raw, model)
  }
  catch (err) {
    if (err instanceof GanConfigError) throw new DemoError('model-corrupt', err.message, { model, file: 'config.json' })
    throw err
  }
  await checkModelFiles(model, config.snapshots.map(s => s.file))
  const first = await createOrtSession(demo, model, config.snapshots[0]!.file, preference)
  const sessions = [first.session]
  for (const [k, s] of config.snapshots.slice(1).entries()) {
    sessions.push((await createOrtSession(demo, model, s.file, first.backend)).session)
    onProgress?.((k + 2) / config.snapshots.length)
  }
  const ort = await loadOrt()
  return { gan: new GanSnapshots(config, ort as unknown as OrtLike, sessions as unknown as SessionLike[]), backend: first.backend }
}
