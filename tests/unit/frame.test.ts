import { describe, expect, it } from 'vitest'
import { classify, DemoError } from '../../packages/slidev-addon-under-the-hood/demos/frame/errors'
import { initialState, reduce, runTask } from '../../packages/slidev-addon-under-the-hood/demos/frame/state'
import type { DemoEvent, DemoState } from '../../packages/slidev-addon-under-the-hood/demos/frame/state'
import { maxAbsDiff } from '../../packages/slidev-addon-under-the-hood/demos/preflight/engine'

describe('error messages', () => {
  it.each([
    ['Model file not found: /models/micro-clip/config.json', 'model-missing'],
    ['Could not locate file: "/models/x/onnx/model.onnx".', 'model-missing'],
    ['Unexpected token \'<\', "<!DOCTYPE "... is not valid JSON', 'model-corrupt'],
    ['failed to load model: protobuf parsing failed', 'model-corrupt'],
    ['Aborted(both async and sync fetching of the wasm failed)', 'runtime-missing'],
    ['no available backend found. ERR: [wasm] TypeError', 'runtime-missing'],
    ['WebGPU device lost', 'backend'],
    ['something else', 'unknown'],
  ])('classifies "%s" as %s', (msg, code) => {
    expect(classify(msg)).toBe(code)
  })

  it('gives every error a hint a presenter can act on', () => {
    const e = DemoError.from(new Error('Model file not found: /models/micro-clip/config.json'), { model: 'micro-clip' })
    expect(e.code).toBe('model-missing')
    expect(e.hint).toContain('reinstall the addon')
    expect(DemoError.from(new Error('Model file not found: /models/my-clip/config.json'), { model: 'my-clip' }).hint).toContain('public/models/my-clip/')
    expect(e.hint).toMatch(/npm run train/)
    expect(DemoError.from('weird').hint).toMatch(/Reset/)
  })
})

describe('demo state', () => {
  const run = (events: DemoEvent[]) => events.reduce<DemoState>(reduce, initialState())

  it('goes idle → loading → ready with monotone, clamped progress', () => {
    const s = run([{ type: 'load', label: 'model' }, { type: 'progress', value: 0.5 }, { type: 'progress', value: 0.3 }, { type: 'progress', value: 7 }])
    expect(s.phase).toBe('loading')
    expect(s.progress).toBe(1)
    expect(run([{ type: 'load', label: 'm' }, { type: 'progress', value: Number.NaN }]).progress).toBe(0)
    expect(run([{ type: 'load', label: 'm' }, { type: 'ready' }]).phase).toBe('ready')
  })

  it('keeps an error until reset, and reset keeps the backend badge', () => {
    const failed = run([{ type: 'backend', backend: 'wasm', reason: 'no adapter', fallback: true }, { type: 'load', label: 'm' },
      { type: 'fail', error: new Error('Model file not found: x') }, { type: 'ready' }])
    expect(failed.phase).toBe('error')
    expect(failed.error?.code).toBe('model-missing')
    const reset = reduce(failed, { type: 'reset' })
    expect(reset.phase).toBe('idle')
    expect(reset.error).toBeNull()
    expect(reset.backend).toBe('wasm')
  })

  it('runTask never throws and ends in ready or error', async () => {
    let s = initialState()
    const dispatch = (e: DemoEvent) => { s = reduce(s, e) }
    expect(await runTask(dispatch, 'ok', async (p) => { p(0.5); return 42 })).toBe(42)
    expect(s.phase).toBe('ready')
    expect(await runTask(dispatch, 'bad', async () => { throw new Error('404 not found') })).toBeUndefined()
    expect(s.phase).toBe('error')
  })
})

describe('pre-flight comparison', () => {
  it('measures the largest difference and flags length mismatches', () => {
    expect(maxAbsDiff([1, 2, 3], [1, 2.5, 2])).toBe(1)
    expect(maxAbsDiff(new Float32Array([0.1]), [0.1])).toBeLessThan(1e-7)
    expect(maxAbsDiff([1], [1, 2])).toBe(Number.POSITIVE_INFINITY)
  })
})
