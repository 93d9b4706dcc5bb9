import { afterEach, describe, expect, it, vi } from 'vitest'
import { backendOrder, backendReports, explainChoice, onBackendReport, preferenceFromSearch, reportBackend } from '../../demos/runtime/backends'
import { modelFileUrl, modelsPath, ortWasmPaths, tfjsWasmPrefix } from '../../demos/runtime/paths'
import { probeWebGPU } from '../../demos/runtime/webgpu'

describe('backend choice', () => {
  const gpu = { available: true }
  const none = { available: false }
  const software = { available: true, fallbackAdapter: true }

  it('puts WebGPU first only when there is a hardware adapter', () => {
    expect(backendOrder(['webgpu', 'wasm'], gpu)).toEqual(['webgpu', 'wasm'])
    expect(backendOrder(['webgpu', 'wasm'], none)).toEqual(['wasm'])
    expect(backendOrder(['webgpu', 'wasm', 'webgl', 'cpu'], none)).toEqual(['wasm', 'webgl', 'cpu'])
  })

  it('passes a software WebGPU adapter over in auto mode, unless the URL forces it', () => {
    expect(backendOrder(['webgpu', 'wasm'], software)).toEqual(['wasm', 'webgpu'])
    expect(backendOrder(['webgpu', 'wasm', 'webgl', 'cpu'], software)).toEqual(['wasm', 'webgl', 'cpu', 'webgpu'])
    expect(backendOrder(['webgpu', 'wasm'], software, 'webgpu')).toEqual(['webgpu', 'wasm'])
  })

  it('honours a forced backend when it is available, and ignores it otherwise', () => {
    expect(backendOrder(['webgpu', 'wasm'], gpu, 'wasm')).toEqual(['wasm', 'webgpu'])
    expect(backendOrder(['webgpu', 'wasm'], none, 'webgpu')).toEqual(['wasm'])
    expect(backendOrder(['webgpu', 'wasm', 'webgl', 'cpu'], gpu, 'cpu')[0]).toBe('cpu')
  })

  it('says why: no adapter is a fallback; a skipped software adapter and a forced backend are noted', () => {
    const why = (g: { available: boolean, fallbackAdapter?: boolean }, pref: 'auto' | 'wasm' | 'webgpu' = 'auto') =>
      explainChoice(backendOrder(['webgpu', 'wasm'], g, pref), { ...g, reason: 'R' }, pref)
    expect(why(gpu)).toMatchObject({ backend: 'webgpu', fallback: false })
    expect(why(none)).toMatchObject({ backend: 'wasm', fallback: true, reason: 'R; running on WASM' })
    expect(why(software)).toMatchObject({ backend: 'wasm', fallback: false, note: 'software GPU skipped' })
    expect(why(software).reason).toMatch(/WASM is faster.*\?backend=webgpu/)
    expect(why(software, 'webgpu')).toMatchObject({ backend: 'webgpu', note: 'requested' })
    expect(why(gpu, 'wasm')).toMatchObject({ backend: 'wasm', fallback: false, note: 'requested' })
  })

  it('reads ?backend= from the URL and rejects unknown values', () => {
    expect(preferenceFromSearch('?backend=wasm')).toBe('wasm')
    expect(preferenceFromSearch('?x=1&backend=webgpu')).toBe('webgpu')
    expect(preferenceFromSearch('?backend=cuda')).toBe('auto')
    expect(preferenceFromSearch('')).toBe('auto')
  })

  it('records which backend each demo got and tells listeners', () => {
    const seen: string[] = []
    const stop = onBackendReport(r => seen.push([...r.keys()].join(',')))
    reportBackend({ demo: 'a', backend: 'wasm', reason: 'no adapter', fallback: true })
    reportBackend({ demo: 'b', backend: 'webgpu', reason: 'adapter', fallback: false })
    stop()
    reportBackend({ demo: 'c', backend: 'cpu', reason: '', fallback: false })
    expect(backendReports().get('a')?.backend).toBe('wasm')
    expect(backendReports().get('b')?.fallback).toBe(false)
    expect(seen).toEqual(['a', 'a,b'])
  })
})

describe('one copy of each model per window', () => {
  it('loads a model once for every demo that asks, tells each its backend, and loads again after a failure', async () => {
    const { loadOnce } = await import('../../demos/runtime/index')
    let loads = 0
    const load = async () => {
      loads++
      reportBackend({ demo: 'first', backend: 'wasm', reason: 'test', fallback: false })
      return { model: loads }
    }
    const [a, b] = await Promise.all([loadOnce('m:test', 'first', load), loadOnce('m:test', 'second', load)])
    expect(loads).toBe(1)
    expect(a).toBe(b)
    expect(backendReports().get('second')).toMatchObject({ backend: 'wasm', reason: 'test' })

    let attempts = 0
    const flaky = async () => {
      if (++attempts === 1) throw new Error('model file not found')
      return 'ok'
    }
    await expect(loadOnce('m:flaky', 'x', flaky)).rejects.toThrow(/not found/)
    await expect(loadOnce('m:flaky', 'x', flaky)).resolves.toBe('ok')
    expect(attempts).toBe(2)
  })
})

describe('local paths', () => {
  it('points every runtime file at the deck itself', () => {
    expect(ortWasmPaths('/')).toEqual({
      mjs: '/runtime/ort/ort-wasm-simd-threaded.asyncify.mjs',
      wasm: '/runtime/ort/ort-wasm-simd-threaded.asyncify.wasm',
    })
    expect(tfjsWasmPrefix('/talk/')).toBe('/talk/runtime/tfjs/')
    expect(modelsPath('/talk/')).toBe('/talk/models/')
    expect(modelFileUrl('micro-clip', 'onnx/model.onnx', '/')).toBe('/models/micro-clip/onnx/model.onnx')
  })

  it('refuses model names that would leave the models folder', () => {
    expect(() => modelFileUrl('../secret', 'x.json', '/')).toThrow(/invalid model name/)
    expect(() => modelFileUrl('micro-clip', '../../etc/passwd', '/')).toThrow(/invalid model file/)
    expect(() => modelFileUrl('https://evil.example/m', 'config.json', '/')).toThrow()
    expect(() => modelFileUrl('', 'config.json', '/')).toThrow()
  })

  it('the deck serves every runtime file the runtime asks for, from a file that exists', async () => {
    const { existsSync } = await import('node:fs')
    const { RUNTIME_FILES } = await import('../../vite.config')
    const asked = [ortWasmPaths('/').mjs, ortWasmPaths('/').wasm, ...['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'].map(f => `${tfjsWasmPrefix('/')}${f}`)]
    for (const url of asked) {
      const source = RUNTIME_FILES[url.slice(1)]
      expect(source, url).toBeDefined()
      expect(existsSync(new URL(`../../${source}`, import.meta.url)), source).toBe(true)
    }
  })
})

describe('WebGPU detection', () => {
  afterEach(() => vi.useRealTimers())

  it('says why there is no WebGPU when navigator.gpu is missing', async () => {
    const r = await probeWebGPU(undefined)
    expect(r.available).toBe(false)
    expect(r.reason).toMatch(/navigator\.gpu/)
  })

  it('handles a null adapter and a failing request', async () => {
    expect((await probeWebGPU({ requestAdapter: async () => null })).available).toBe(false)
    const failed = await probeWebGPU({ requestAdapter: async () => { throw new Error('GPU process crashed') } })
    expect(failed.available).toBe(false)
    expect(failed.reason).toMatch(/GPU process crashed/)
  })

  it('gives up on an adapter request that never answers', async () => {
    vi.useFakeTimers()
    const p = probeWebGPU({ requestAdapter: () => new Promise(() => {}) }, 500)
    await vi.advanceTimersByTimeAsync(600)
    const r = await p
    expect(r.available).toBe(false)
    expect(r.reason).toMatch(/500 ms/)
  })

  it('recognises a software (fallback) adapter', async () => {
    const r = await probeWebGPU({ requestAdapter: async () => ({ features: new Set(['timestamp-query']), info: { isFallbackAdapter: true } }) })
    expect(r).toMatchObject({ available: true, fallbackAdapter: true, features: ['timestamp-query'] })
  })
})
