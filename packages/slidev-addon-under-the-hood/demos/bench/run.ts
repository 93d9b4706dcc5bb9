/**
 * Timings of the engines in the browser, for `npm run bench` (tests/bench/bench.mjs). Loaded only when the
 * deck is opened with ?bench; each function loads what it measures through the same runtime as the demos
 * and returns milliseconds (median of a few runs after a warm-up).
 */
import type { BackendPreference } from '../runtime'
import type { ClipShow } from '../video/clip'
import { loadDiffusion } from '../diffusion/load'
import { generateImage } from '../diffusion/sampler'
import { loadClip } from '../clip/load'
import { cosineMatrix, rowSoftmax } from '../clip/matrix'
import { TokenizerClient } from '../tokenizer/client'
import { forwardNoise, gaussianNoise, linearSchedule } from '../diffusion/schedule'
import { loadGpt } from '../gpt/load'
import { pca3, parseEmbeddings } from '../projector/engine'
import { modelFileUrl } from '../runtime/paths'
import { loadTf } from '../runtime'
import { makeDataset } from '../tinynet/data'
import { TinyNet } from '../tinynet/engine'
import { GanRun } from '../gan2d/run'
import { stft, synth } from '../spectrogram/engine'
import { GriffinLim, magnitudesFromSpectrogram } from '../vocoder/griffinlim'

async function median(n: number, f: () => Promise<unknown> | unknown): Promise<number> {
  await f() // warm-up (first calls compile shaders / allocate)
  const t: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    await f()
    t.push(performance.now() - t0)
  }
  t.sort((a, b) => a - b)
  return +t[Math.floor(t.length / 2)]!.toFixed(2)
}

/**
 * One denoising step only (after one warm-up call): for a software WebGPU adapter, where a whole
 * generation would take minutes.
 */
export async function diffusionStep(backend: BackendPreference) {
  const { nets, backend: ran } = await loadDiffusion(`bench-step-${backend}`, 'micro-diffusion', backend)
  const cond = await nets.encodeText(['', 'red apple'])
  const x = new Float32Array(2 * 256).map((_, i) => Math.sin(i))
  const call = await median(1, () => nets.denoise(x, 500, cond))
  return { backend: ran, denoiser_call_batch2_ms: call }
}

export async function diffusion(backend: BackendPreference, runs = 3) {
  const { nets, config, backend: ran } = await loadDiffusion(`bench-${backend}`, 'micro-diffusion', backend)
  const cond = await nets.encodeText(['', 'red apple'])
  const params = { prompt: 'red apple', seed: 1, steps: 30, guidance: 4, sampler: 'ddim' as const }
  const image = await median(runs, () => generateImage(nets, config, params, { cond }))
  const x = new Float32Array(2 * 256).map((_, i) => Math.sin(i))
  const call = await median(runs * 5, () => nets.denoise(x, 500, cond))
  return { backend: ran, denoiser_call_batch2_ms: call, generation_30_steps_ms: image, per_step_ms: +(image / 30).toFixed(2) }
}

/** micro-video on WASM: one denoiser call for an 8-frame clip (both guidance halves), one decoder pass of 8 frames, and a whole 20-step clip:
 * its finished frames decoded (as the flicker slide and the CLI make it), every step's predicted frames decoded, and every step's noisy
 * frames too (as the step-through slide shows them). */
export async function video(backend: BackendPreference = 'wasm', runs = 3) {
  const { loadVideo } = await import('../video/load')
  const { checkVideoParams, generateClip, videoNets } = await import('../video/clip')
  const t0 = performance.now()
  const v = await loadVideo(`bench-video-${backend}`, 'micro-video', backend)
  const load = performance.now() - t0
  const { params } = checkVideoParams({ prompt: 'rocket moving up', seed: 3, frames: 8, steps: 20 }, v.config)
  const nets = videoNets(v.ort, v.session, v.image.nets, v.config, params.motion)
  const cond = await nets.encodeText(['', params.subject])
  const x = new Float32Array(2 * 8 * 256).map((_, i) => Math.sin(i))
  const step = await median(runs * 3, () => nets.denoise(x, 500, cond))
  const frames = x.slice(0, 8 * 256)
  const decode = await median(runs * 3, () => nets.decode(frames, 8))
  const made = (show: ClipShow) => median(runs, async () => { for await (const _ of generateClip(nets, v.image.config, params, { show })); })
  const clip = await made('final')
  return { backend: v.image.backend, load_ms: +load.toFixed(1), denoiser_call_8_frames_ms: step, decode_8_frames_ms: decode,
    clip_8_frames_20_steps_ms: clip, per_step_ms: +(clip / 20).toFixed(2),
    with_predicted_frames_every_step_ms: await made('predicted'), with_noisy_frames_too_ms: await made('noisy') }
}

/** micro-audio on WASM: one denoiser call (both guidance halves), a whole 2-second sound (30 steps), and one Griffin–Lim pass (32 iterations) on its picture. */
export async function audio(backend: BackendPreference = 'wasm', runs = 3) {
  const { loadAudio } = await import('../audio/load')
  const { checkAudioParams, generateSound } = await import('../audio/sound')
  const { hear } = await import('../audio/picture')
  const t0 = performance.now()
  const a = await loadAudio(`bench-audio-${backend}`, 'micro-audio', backend)
  const load = performance.now() - t0
  const { params } = checkAudioParams({ prompt: 'whistle at A4', seed: 1 }, a.config)
  const cond = await a.nets.encodeText(['', params.prompt])
  const x = new Float32Array(2 * 4096).map((_, i) => Math.sin(i))
  const step = await median(runs * 3, () => a.nets.denoise(x, 500, cond))
  let picture: Float32Array = new Float32Array(4096)
  const sound = await median(runs, async () => { for await (const s of generateSound(a.nets, a.config, params)) picture = s.next })
  const vocoder = await median(runs, () => hear(picture, a.config.sound, 32))
  return { backend: a.backend, load_ms: +load.toFixed(1), denoiser_call_ms: step, sound_2s_30_steps_ms: sound, griffin_lim_32_iterations_ms: vocoder, seconds_of_sound: +(a.config.sound.samples / a.config.sound.sample_rate).toFixed(3) }
}

/** LoRA: loading the adapter (checked against the base), merging it into the UNet file, the merged session, a generation. */
export async function lora(backend: BackendPreference = 'wasm', name = 'zumi-r4', runs = 3) {
  const { loadLora } = await import('../lora/load')
  const { mergeLora } = await import('../lora/engine')
  const t0 = performance.now()
  const { base, baseUnet, entries, unets } = await loadLora(`bench-lora-${backend}`, 'micro-diffusion', [name], backend)
  const load = performance.now() - t0
  const adapter = entries[0]?.adapter
  if (!adapter) return { error: entries[0]?.problem }
  const merge = await median(runs, () => mergeLora(baseUnet, adapter, 0.8))
  let k = 0
  const session = await median(runs, () => unets.nets(adapter, 0.5 + 0.1 * k++))
  const nets = await unets.nets(adapter, 1)
  const params = { prompt: adapter.config.trigger, seed: 1, steps: 30, guidance: 4, sampler: 'ddim' as const }
  const image = await median(runs, () => generateImage(nets, base.config, params))
  const baseImage = await median(runs, () => generateImage(base.nets, base.config, params))
  return {
    backend: base.backend, rank: adapter.config.rank, adapter_params: adapter.adapterParams, adapter_file_bytes: adapter.config.file_bytes,
    load_with_base_ms: +load.toFixed(1), merge_ms: merge, merged_session_ms: session, generation_30_steps_merged_ms: image, generation_30_steps_base_ms: baseImage,
  }
}

export async function clipMatrix(backend: BackendPreference, n = 8) {
  const clip = await loadClip(`bench-clip-${backend}`)
  const prompts = ['red apple', 'chair', 'panda face', 'whale', 'movie camera', 'castle', 'sunrise', 'rocket'].slice(0, n)
  const images = Array.from({ length: n }, (_, k) => new Uint8ClampedArray(clip.imageSize * clip.imageSize * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * (k + 3)) % 251)))
  const ms = await median(5, async () => {
    const [t, im] = await Promise.all([clip.embedTexts(prompts), clip.embedImages(images)])
    rowSoftmax(cosineMatrix(t, im))
  })
  const cached = await clip.embedImages(images)
  const edit = await median(5, async () => rowSoftmax(cosineMatrix(await clip.embedTexts(prompts), cached)))
  const phrase = await median(5, () => clip.embedTexts(['epic wide shot of a warrior']))
  return { matrix_8x8_ms: ms, matrix_8x8_prompts_edited_ms: edit, embed_phrase_ms: phrase }
}

export async function tokenizer() {
  const client = new TokenizerClient()
  const text = 'EXT. DESERT - DAWN. An epic wide shot of a warrior on a dune, wind lifting the sand; '.repeat(30).slice(0, 2000)
  let k = 0
  const roundTrip = await median(7, () => client.tokenize('bench', 'gpt-4o', text + (k++)))
  const inWorker = (await client.tokenize('bench', 'gpt-4o', text))!.ms
  client.dispose()
  return { chars: 2000, update_round_trip_ms: roundTrip, tokenize_in_worker_ms: +inWorker.toFixed(2) }
}

export async function projector() {
  const res = await fetch(modelFileUrl('micro-clip', 'embeddings.json'))
  const items = parseEmbeddings(await res.json())
  const p = pca3(items.map(i => i.vector))
  const three = await import('three')
  const renderer = new three.WebGLRenderer()
  renderer.setSize(540, 300)
  const scene = new three.Scene()
  const geo = new three.BufferGeometry()
  geo.setAttribute('position', new three.Float32BufferAttribute(p.points.flat(), 3))
  scene.add(new three.Points(geo, new three.PointsMaterial({ size: 0.07 })))
  const cam = new three.PerspectiveCamera(45, 540 / 300, 0.1, 50)
  cam.position.set(1.5, 1.1, 2.2)
  cam.lookAt(0, 0, 0)
  const redraw = await median(9, () => {
    renderer.render(scene, cam)
    renderer.getContext().finish()
  })
  const layout = await median(3, () => pca3(items.map(i => i.vector)))
  renderer.dispose()
  return { points: items.length, redraw_ms: redraw, pca_layout_ms: layout }
}

export async function gptStep() {
  const { engine, backend } = await loadGpt('bench-gpt')
  const ids = engine.encode('The whale swam towards the ship and the captain')
  return { backend, forward_ms: await median(5, () => engine.forward(ids)) }
}

export async function forwardScrub() {
  const x0 = new Float32Array(64 * 64 * 3).map((_, i) => Math.sin(i) * 0.8)
  const eps = gaussianNoise(x0.length, 0)
  const s = linearSchedule()
  let t = 0
  // 100 updates per sample: one is below the browser's timer resolution
  const hundred = await median(9, () => {
    for (let i = 0; i < 100; i++) forwardNoise(x0, eps, s.alphaBar[(t = (t + 37) % 1000)]!)
  })
  return { update_ms: +(hundred / 100).toFixed(3) }
}

export async function tinyNetwork() {
  const { tf, backend } = await loadTf('bench-tiny-network')
  const net = new TinyNet(tf, { hidden: 8, seed: 1 })
  net.setData(makeDataset('moons', 60, 1))
  // what one animation frame of the live demo does: a training step, then the boundary and the weights
  const frame = await median(15, async () => {
    await net.train(1)
    await net.grid(40)
    net.weights()
  })
  const hundred = await median(3, () => net.train(100))
  net.dispose()
  return { backend, frame_ms: frame, train_100_steps_ms: hundred }
}

export async function gan2d() {
  const { tf, backend } = await loadTf('bench-gan2d')
  const run = new GanRun(tf, { distribution: 'ring', drawn: [], setting: 'balanced' })
  // what one animation frame of the live demo does: two GAN steps (D then G, twice), then the picture
  const frame = await median(15, () => {
    run.run('play', 2)
    run.samples()
    run.discriminatorRgba(40)
  })
  const hundred = await median(3, () => run.run('play', 100))
  run.dispose()
  return { backend, frame_ms: frame, train_100_steps_ms: hundred }
}

/** micro-GAN: one picture is one generator pass; eight at once is the demo's grid; loading all snapshots. */
export async function imageGan(backend: BackendPreference = 'wasm') {
  const { loadGan } = await import('../dcgan/load')
  const { ganNoise } = await import('../dcgan/engine')
  const t0 = performance.now()
  const { gan, backend: ran } = await loadGan(`bench-image-gan-${backend}`, 'micro-gan', backend)
  const load = performance.now() - t0
  const last = gan.count - 1
  const one = await median(9, () => gan.images(last, ganNoise(gan.config.nz, [1])))
  const grid = await median(5, () => gan.images(last, ganNoise(gan.config.nz, [1, 2, 3, 4, 5, 6, 7, 8])))
  return { backend: ran, load_all_snapshots_ms: +load.toFixed(1), one_image_ms: one, grid_of_8_ms: grid }
}

export async function griffinLim() {
  const s = stft(synth('vowels', 16000), 16000, 1024)
  const gl = new GriffinLim(magnitudesFromSpectrogram(s), s.size, s.hop, { seed: 1 })
  const one = await median(5, () => gl.iterate(1))
  return { seconds_of_sound: 2.4, iteration_ms: one }
}

export async function guided(iterations = 100) {
  const { loadGuided } = await import('../guided/load')
  const { GuidedRun } = await import('../guided/engine')
  const g = await loadGuided('bench-guided')
  const clip = await loadClip('bench-guided')
  const [text] = await clip.embedTexts(['red apple'])
  const run = new GuidedRun(g.tf, g.models, text!, new Float32Array(256).map((_, i) => Math.sin(i * 1.7)), 1)
  const one = await median(3, () => run.step())
  const t0 = performance.now()
  for (let i = 0; i < iterations; i++) run.step()
  const total = performance.now() - t0
  const similarity = run.history.at(-1)!
  run.dispose()
  return { backend: g.backend, iteration_ms: one, [`run_${iterations}_iterations_ms`]: +total.toFixed(0), similarity_after: +similarity.toFixed(3) }
}
