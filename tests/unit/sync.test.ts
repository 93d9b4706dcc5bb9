/**
 * The rules every window of a talk applies to a demo's synced state (demos/frame/sync.ts): a total order
 * on changes, field-by-field checking of what arrives, and convergence of windows that change at once.
 */
import { describe, expect, it } from 'vitest'
import type { Envelope, Revision } from '../../packages/slidev-addon-under-the-hood/demos/frame/sync'
import { isEnvelope, isNewer, MAX_DATA_CHARS, NO_REVISION, nextRevision, parseData, pendingActs, plainCopy, sameRevision, sanitize, SYNC_VERSION } from '../../packages/slidev-addon-under-the-hood/demos/frame/sync'

const defaults = { prompt: 'red apple', seed: 1, guidance: 4, picked: [] as number[], file: { name: '' }, scrub: null as number | null }
type S = typeof defaults

describe('revisions', () => {
  it('orders changes by revision, then time, then window id', () => {
    const a: Revision = { rev: 3, at: 100, by: 'a' }
    expect(isNewer({ rev: 4, at: 0, by: 'a' }, a)).toBe(true)
    expect(isNewer({ rev: 3, at: 101, by: 'a' }, a)).toBe(true)
    expect(isNewer({ rev: 3, at: 100, by: 'b' }, a)).toBe(true)
    expect(isNewer(a, a)).toBe(false)
    expect(isNewer(NO_REVISION, a)).toBe(false)
    expect(sameRevision(a, { ...a })).toBe(true)
    expect(nextRevision(a, 'z', 5)).toEqual({ rev: 4, at: 5, by: 'z' })
  })
})

describe('what arrives', () => {
  const env = (over: Partial<Envelope> = {}) => ({ v: SYNC_VERSION, rev: 1, at: 1, by: 'w', data: '{}', acts: {}, ...over })

  it('reads only envelopes of this deck version with sane fields', () => {
    expect(isEnvelope(env())).toBe(true)
    expect(isEnvelope(env({ v: SYNC_VERSION + 1 }))).toBe(false)
    expect(isEnvelope(env({ v: 0 }))).toBe(false)
    expect(isEnvelope({ ...env(), data: 'text' })).toBe(false)
    expect(isEnvelope({ ...env(), data: '[]' })).toBe(false)
    expect(isEnvelope({ ...env(), data: { prompt: 'an object, not its JSON' } })).toBe(false)
    expect(isEnvelope({ ...env(), data: `"${'x'.repeat(MAX_DATA_CHARS)}"` })).toBe(false)
    expect(isEnvelope({ ...env(), rev: -1 })).toBe(false)
    expect(isEnvelope({ ...env(), rev: 1.5 })).toBe(false)
    expect(isEnvelope({ ...env(), acts: { play: -1 } })).toBe(false)
    expect(isEnvelope({ ...env(), by: 'x'.repeat(65) })).toBe(false)
    for (const junk of [null, undefined, 'garbage', 42, [], { v: 1 }]) expect(isEnvelope(junk)).toBe(false)
  })

  it('takes each declared field only with its default\'s kind; keeps the rest', () => {
    const current: S = { ...defaults, prompt: 'rocket' }
    const out = sanitize({ prompt: 7, seed: 'x'.repeat(40), guidance: 6, picked: 'no', file: { name: 'a.png' }, scrub: 3, extra: 'ignored' }, defaults, current)
    expect(out).toEqual({ ...current, guidance: 6, file: { name: 'a.png' }, scrub: 3 })
    expect('extra' in out).toBe(false)
    // A number field may hold text being typed (an empty or partial number).
    expect(sanitize({ seed: '' }, defaults, current).seed).toBe('')
    expect(sanitize({ seed: Number.NaN }, defaults, current).seed).toBe(1)
    expect(sanitize({ picked: [1, 2] }, defaults, current).picked).toEqual([1, 2])
  })

  it('lists the buttons pressed elsewhere that this window has not run', () => {
    expect(pendingActs({ play: 2, step: 1 }, { play: 2 })).toEqual(['step'])
    expect(pendingActs({ play: 3 }, { play: 2, step: 5 })).toEqual(['play'])
    expect(pendingActs({}, { play: 1 })).toEqual([])
  })
})

/**
 * Windows as the sync sees them: each keeps its state and its revision, and applies every message it gets
 * (in any order) by the rules: newer wins, older is answered with its own state.
 */
class Window {
  current: Revision = NO_REVISION
  data: S = plainCopy(defaults)
  constructor(readonly id: string) {}
  change(patch: Partial<S>, now: number): Envelope {
    this.current = nextRevision(this.current, this.id, now)
    this.data = { ...this.data, ...patch }
    return { v: SYNC_VERSION, ...this.current, data: JSON.stringify(this.data), acts: {} }
  }

  receive(msg: unknown): void {
    if (!isEnvelope(msg) || !isNewer(msg, this.current)) return
    this.current = { rev: msg.rev, at: msg.at, by: msg.by }
    this.data = sanitize(parseData(msg.data) as Record<string, unknown>, defaults, this.data)
  }
}

describe('windows that change at once', () => {
  it('end with the same state whatever order the messages arrive in: the last change wins', () => {
    for (let trial = 0; trial < 200; trial++) {
      const ws = [new Window('a'), new Window('b'), new Window('c')]
      const sent: Envelope[] = []
      let now = 1000
      for (let k = 0; k < 12; k++) {
        const w = ws[(trial * 7 + k * 5) % 3]!
        // Some messages arrive before the next change, some after: windows change on stale knowledge.
        if ((trial + k) % 3 === 0) for (const m of sent) w.receive(m)
        sent.push(w.change({ prompt: `${w.id}${k}`, seed: k }, now += (k * 13) % 4))
      }
      // Every window gets every message, each in its own shuffled order.
      for (const [i, w] of ws.entries()) {
        const order = [...sent].sort((x, y) => ((x.rev * 31 + i * 17 + x.at) % 7) - ((y.rev * 31 + i * 17 + y.at) % 7))
        for (const m of order) w.receive(m)
      }
      const last = [...sent].sort((x, y) => (isNewer(x, y) ? 1 : -1)).at(-1)!
      for (const w of ws) expect(w.data).toEqual(JSON.parse(last.data))
    }
  })

  it('ignores malformed messages and keeps working', () => {
    const w = new Window('a')
    w.change({ prompt: 'cat' }, 1)
    for (const junk of [null, 'x', { v: 99, rev: 100, at: 1, by: 'z', data: '{"prompt":"old deck"}', acts: {} }, { v: SYNC_VERSION, rev: 100, at: 1, by: 'z', data: '{"prompt":', acts: {} }])
      w.receive(junk)
    expect(w.data.prompt).toBe('cat')
    w.receive({ v: SYNC_VERSION, rev: 5, at: 2, by: 'b', data: '{"prompt":"dog","seed":"not a number but short"}', acts: {} })
    expect(w.data.prompt).toBe('dog')
  })
})
