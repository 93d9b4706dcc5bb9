/** Talks to the tokenizer worker: one request per keystroke, only the newest answer counts. */
import type { Request, Response } from './worker'
import type { TokenizeResult } from './engine'

export class TokenizerClient {
  private worker: Worker
  private seq = 0
  private waiting = new Map<number, { resolve: (r: TokenizeResult | null) => void, reject: (e: Error) => void, key: string }>()
  private latest = new Map<string, number>()

  constructor() {
    this.worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' })
    this.worker.onmessage = (e: MessageEvent<Response>) => {
      const w = this.waiting.get(e.data.seq)
      if (!w) return
      this.waiting.delete(e.data.seq)
      if (this.latest.get(w.key) !== e.data.seq) return w.resolve(null) // superseded by a newer request
      if (e.data.ok) w.resolve(e.data.result)
      else w.reject(new Error(e.data.error))
    }
    this.worker.onerror = (e) => {
      for (const w of this.waiting.values()) w.reject(new Error(`The tokenizer worker failed: ${e.message}`))
      this.waiting.clear()
    }
  }

  /** Tokenizes `text`; resolves null when a newer request for the same `key` made this one stale. */
  tokenize(key: string, tokenizer: string, text: string): Promise<TokenizeResult | null> {
    const seq = ++this.seq
    this.latest.set(key, seq)
    return new Promise((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject, key })
      this.worker.postMessage({ seq, tokenizer, text } satisfies Request)
    })
  }

  dispose(): void {
    this.worker.terminate()
  }
}
