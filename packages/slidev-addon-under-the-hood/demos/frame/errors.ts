/** Errors a demo can show: a plain-language message and what the presenter can do about it. */
import { MODELS } from '../runtime/manifest'

export type DemoErrorCode = 'model-missing' | 'model-corrupt' | 'runtime-missing' | 'backend' | 'bad-input' | 'unknown'

export interface DemoErrorContext {
  model?: string
  file?: string
}

/** Where a model's files should come from: the addon for the ones it ships, the deck's public/models/ otherwise. */
function whereFrom(model: string | undefined): string {
  return model && model in MODELS
    ? `It ships with slidev-addon-under-the-hood: reinstall the addon (or, in its repository, restore models/ from git or rebuild it with \`npm run train\`).`
    : `Put the model's folder at public/models/${model ?? '<name>'}/ in your deck, or check the spelling of the demo's \`model\` prop.`
}

const HINTS: Record<DemoErrorCode, (ctx: DemoErrorContext) => string> = {
  'model-missing': ctx => `The files of the model "${ctx.model ?? '?'}" are not served at models/${ctx.model ?? ''}/. `
    + `${whereFrom(ctx.model)} The rest of the deck works without it.`,
  'model-corrupt': ctx => `The model "${ctx.model ?? '?'}" is there but could not be read (damaged or from another version). `
    + whereFrom(ctx.model),
  'runtime-missing': () => 'The WebAssembly runtime could not be loaded. Reinstall with `npm install` and rebuild the deck (`npm run build`).',
  'backend': () => 'This browser could not start a compute backend. Try a current Chrome, Edge or Firefox.',
  'bad-input': () => 'Change the input and try again; nothing was lost.',
  'unknown': () => 'Press Reset to try again. The other slides are not affected.',
}

export class DemoError extends Error {
  readonly code: DemoErrorCode
  readonly hint: string
  readonly context: DemoErrorContext

  constructor(code: DemoErrorCode, message: string, context: DemoErrorContext = {}, hint?: string) {
    super(message)
    this.name = 'DemoError'
    this.code = code
    this.context = context
    this.hint = hint ?? HINTS[code](context)
  }

  /** Classifies an error thrown by a library (fetch, ORT, transformers.js, tfjs). */
  static from(err: unknown, context: DemoErrorContext = {}): DemoError {
    if (err instanceof DemoError)
      return err
    const text = errorText(err)
    return new DemoError(classify(text), text, context)
  }
}

export function classify(message: string): DemoErrorCode {
  const m = message.toLowerCase()
  // The runtime first: a failed fetch of a .wasm file is the runtime missing, not a model.
  if (/\bwasm\b|\.wasm|webassembly|magic word|no available backend/.test(m))
    return 'runtime-missing'
  if (/\b404\b|not found|could not locate file|no such file|enoent|failed to fetch/.test(m))
    return 'model-missing'
  if (/unexpected token '<'|protobuf|invalid model|failed to load model|can't create a session|corrupt|unexpected end of|json at position|is not valid json/.test(m))
    return 'model-corrupt'
  if (/webgpu|adapter|backend/.test(m))
    return 'backend'
  return 'unknown'
}

/** The text of anything thrown, for a demo's own message line. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
