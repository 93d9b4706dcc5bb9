import { afterEach, describe, expect, it, vi } from 'vitest'
import { readFileSync } from 'node:fs'
import { backendOrder, backendReports, explainChoice, onBackendReport, preferenceFromSearch, reportBackend } from '../../packages/slidev-addon-under-the-hood/demos/runtime/backends'
import { modelFileUrl, modelsPath, ortWasmPaths, tfjsWasmPrefix } from '../../packages/slidev-addon-under-the-hood/demos/runtime/paths'
import { loadModel, MODELS, modelsOf, REQUIRED_FILES } from '../../packages/slidev-addon-under-the-hood/demos/runtime'
import { DemoError } from '../../packages/slidev-addon-under-the-hood/demos/frame/errors'
import { probeWebGPU } from '../../packages/slidev-addon-under-the-hood/demos/runtime/webgpu'

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

  it('the addon serves every runtime file the runtime asks for, from a file that exists', async () => {
    const { existsSync } = await import('node:fs')
    const { servedFiles } = await import('../../packages/slidev-addon-under-the-hood/vite.config')
    const served = servedFiles()
    const asked = [ortWasmPaths('/').mjs, ortWasmPaths('/').wasm, ...['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'].map(f => `${tfjsWasmPrefix('/')}${f}`)]
    for (const url of asked) {
      const file = served[url.slice(1)]
      expect(file, url).toBeDefined()
      expect(existsSync(file!), file).toBe(true)
    }
  })

  it('the addon serves every file each shipped model needs, and its model card', async () => {
    const { existsSync } = await import('node:fs')
    const { servedFiles } = await import('../../packages/slidev-addon-under-the-hood/vite.config')
    const served = servedFiles()
    for (const [name, m] of Object.entries(MODELS)) {
      for (const f of REQUIRED_FILES[m.kind]) {
        const file = served[modelFileUrl(name, f, '/').slice(1)]
        expect(file, `${name}/${f}`).toBeDefined()
        expect(existsSync(file!)).toBe(true)
      }
      if (m.kind !== 'tokenizer')
        expect(served[modelFileUrl(name, 'README.md', '/').slice(1)], `${name} model card`).toBeDefined()
    }
    // Every card links the licences of the data its model was trained on (written by `npm run train -- cards`),
    // and Twemoji's CC-BY asks for the changes to be named.
    for (const [name, m] of Object.entries(MODELS)) {
      if (m.kind === 'tokenizer') continue
      const card = readFileSync(served[modelFileUrl(name, 'README.md', '/').slice(1)]!, 'utf8')
      const part = card.split('<!-- data-licences -->')[1]?.split('<!-- /data-licences -->')[0] ?? ''
      expect(part, `${name}: data licences`).toMatch(/## Data licences\n/)
      for (const line of part.split('\n').filter(l => l.startsWith('- ')))
        expect(line, `${name}: a link to the licence, unless the data is the pipeline's own`).toMatch(/\(https:\/\/[^ )]+|by this pipeline \(training\//)
      for (const source of ['Noto Emoji', 'Twemoji', 'Fluent Emoji', 'WordNet', 'Moby-Dick', 'eSpeak NG'])
        expect(part.includes(source), `${name}: the card and the manifest's licence line name ${source} alike`).toBe(m.licence.includes(source))
      if (part.includes('Twemoji')) expect(part).toMatch(/CC-BY 4\.0.*Changed by this project: composited/)
    }
    // Every component that names a shipped model by default finds it, with what it loads in turn.
    expect(modelsOf('ReverseDiffusion')).toEqual(['micro-diffusion'])
    expect(modelsOf('VideoDiffusion').sort()).toEqual(['micro-diffusion', 'micro-video'])
    expect(modelsOf('TokenizerPlayground')).toEqual(expect.arrayContaining(['gpt-4o', 'llama-3', 'micro-gpt', 'micro-clip']))
  })
})

describe('model registry', () => {
  const realFetch = globalThis.fetch
  let requests: string[] = []
  /** A deck that serves the files in `present` (HEAD checks), and 404s the rest. */
  function serve(present: string[]) {
    requests = []
    globalThis.fetch = (async (input: RequestInfo | URL) => {
      const url = String(input)
      requests.push(url)
      return new Response(null, { status: present.includes(url) ? 200 : 404, headers: { 'content-type': 'application/octet-stream' } })
    }) as typeof fetch
  }
  afterEach(() => { globalThis.fetch = realFetch })

  it('checks the files the model\'s kind needs, then loads it once for every view that asks', async () => {
    serve(REQUIRED_FILES.gpt.map(f => modelFileUrl('test-gpt', f)))
    let loads = 0
    const load = async () => { loads++; return { engine: loads } }
    const [a, b] = await Promise.all([loadModel('gpt', 'test-gpt', 'view-a', load), loadModel('gpt', 'test-gpt', 'view-b', load)])
    const c = await loadModel('gpt', 'test-gpt', 'view-c', load)
    expect(loads).toBe(1)
    expect(a).toBe(b)
    expect(c).toBe(a)
    expect(requests.sort()).toEqual(REQUIRED_FILES.gpt.map(f => `/models/test-gpt/${f}`).sort())
  })

  it('tells every view the backend the first load got', async () => {
    serve(REQUIRED_FILES.clip.map(f => modelFileUrl('test-clip', f)))
    await loadModel('clip', 'test-clip', 'first-view', async () => {
      reportBackend({ demo: 'first-view', backend: 'wasm', reason: 'test', fallback: false })
      return 1
    })
    await loadModel('clip', 'test-clip', 'second-view', async () => 2)
    expect(backendReports().get('second-view')?.backend).toBe('wasm')
  })

  it('a folder that is not there gives the clear "model missing" error without loading, and a retry loads again', async () => {
    serve([])
    let loads = 0
    const load = async () => { loads++; return 'loaded' }
    const err = await loadModel('diffusion', 'no-such-model', 'view', load).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DemoError)
    expect((err as DemoError).code).toBe('model-missing')
    expect((err as DemoError).message).toContain('/models/no-such-model/config.json')
    expect((err as DemoError).hint).toContain('public/models/no-such-model/')
    expect(loads).toBe(0)
    serve(REQUIRED_FILES.diffusion.map(f => modelFileUrl('no-such-model', f)))
    await expect(loadModel('diffusion', 'no-such-model', 'view', load)).resolves.toBe('loaded')
    expect(loads).toBe(1)
  })

  it('keeps loads of one folder with a different variant (a forced backend) apart', async () => {
    serve(REQUIRED_FILES.diffusion.map(f => modelFileUrl('test-diffusion', f)))
    let loads = 0
    const load = async () => ++loads
    await loadModel('diffusion', 'test-diffusion', 'a', load, 'wasm')
    await loadModel('diffusion', 'test-diffusion', 'b', load, 'webgpu')
    await loadModel('diffusion', 'test-diffusion', 'c', load, 'wasm')
    expect(loads).toBe(2)
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
