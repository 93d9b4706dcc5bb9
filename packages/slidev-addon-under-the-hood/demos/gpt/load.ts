/** Loads micro-GPT in the browser through the shared runtime (tokenizer via transformers.js, model via ORT). */
import { createOrtSession, loadModel, loadOrt, loadTransformers, modelFileUrl, wrapLoad } from '../runtime'
import type { Backend } from '../runtime'
import type { OrtLike, SessionLike } from '../runtime/ort'
import { GptEngine, ortRunner } from './engine'

/** One copy per window, shared by the attention heatmap and the next-word predictor. */
export function loadGpt(demo: string, model = 'micro-gpt'): Promise<{ engine: GptEngine, backend: Backend }> {
  return loadModel('gpt', model, demo, () => load(demo, model))
}

async function load(demo: string, model: string): Promise<{ engine: GptEngine, backend: Backend }> {
  const config = await wrapLoad(model, async () => (await fetch(modelFileUrl(model, 'config.json'))).json() as Promise<{ context: number }>)
  const t = await loadTransformers()
  const tok = await wrapLoad(model, () => t.AutoTokenizer.from_pretrained(model))
  const { session, backend } = await createOrtSession(demo, model, 'onnx/model.onnx')
  const ort = await loadOrt()
  const engine = new GptEngine(ortRunner(ort as unknown as OrtLike, session as unknown as SessionLike), {
    encode: text => tok.encode(text, { add_special_tokens: false }),
    token: id => tok.decode([id]),
  }, config.context)
  return { engine, backend }
}
