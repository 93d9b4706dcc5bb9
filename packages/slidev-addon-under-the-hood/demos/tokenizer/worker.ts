/// <reference lib="webworker" />
/**
 * Tokenizes off the main thread: pasting 100,000 characters must not freeze the slides. Loads tokenizers
 * through the deck's runtime module (local files only) and answers one request at a time.
 */
import { loadTransformers } from '../runtime'
import { errorText } from '../frame/errors'
import type { TokenizerLike } from './engine'
import { tokenize, tokenizerInfo } from './engine'

export type Request = { seq: number, tokenizer: string, text: string }
export type Response = { seq: number, ok: true, result: ReturnType<typeof tokenize> } | { seq: number, ok: false, error: string }

const cache = new Map<string, Promise<TokenizerLike>>()
function get(id: string): Promise<TokenizerLike> {
  const info = tokenizerInfo(id)
  let p = cache.get(id)
  if (!p) {
    p = loadTransformers().then(t => t.AutoTokenizer.from_pretrained(info.model) as unknown as Promise<TokenizerLike>)
    p.catch(() => cache.delete(id))
    cache.set(id, p)
  }
  return p
}

self.onmessage = async (e: MessageEvent<Request>) => {
  const { seq, tokenizer, text } = e.data
  try {
    const tok = await get(tokenizer)
    const result = tokenize(tokenizer, tok, text)
    ;(self as unknown as Worker).postMessage({ seq, ok: true, result } satisfies Response)
  }
  catch (err) {
    const msg = errorText(err)
    const missing = /404|not found|Could not locate/i.test(msg)
    ;(self as unknown as Worker).postMessage({ seq, ok: false, error: missing ? `The tokenizer files for "${tokenizer}" are missing from /models/ (${msg.slice(0, 120)})` : msg } satisfies Response)
  }
}
