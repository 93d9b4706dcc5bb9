/**
 * `npm run generate -- --prompt "red apple" --seed 7 --steps 30 --guidance 4 --out apple.png`
 * `npm run generate -- --prompt "red apple" --grid --out sheet.png` (seeds × guidance sheet)
 *
 * `npm run generate -- --prompt zumi --lora zumi-r4 --lora-scale 1 --out zumi.png` (with a LoRA adapter
 *   from models/micro-diffusion/lora/, merged into the UNet at that strength; 0 = the base exactly)
 *
 * `npm run generate -- --video --prompt "rocket moving up" --seed 3 --frames 8 --out DIR` (micro-video:
 *   writes DIR/frame-00.png … and an animated DIR/clip.gif)
 *
 * `npm run generate -- --audio --prompt "whistle at A4" --seed 1 --out a.wav` (micro-audio: the picture of
 *   the sound, heard through 32 Griffin–Lim iterations, written as a mono 16-bit WAV)
 *
 * Runs micro-diffusion (or micro-video, micro-audio) in Node on the same engines as the deck
 * (demos/diffusion, demos/video, demos/audio) and writes PNGs (a GIF, a WAV).
 */
import { parseArgs } from 'node:util'
import { join } from 'node:path'
import { loadDiffusionNode } from '../packages/slidev-addon-under-the-hood/demos/diffusion/node'
import { checkParams, DiffusionInputError, generateImage, initialLatent, latentSize, planarToRgba } from '../packages/slidev-addon-under-the-hood/demos/diffusion/sampler'
import { repeatConditioning } from '../packages/slidev-addon-under-the-hood/demos/diffusion/nets'
import { LoraError } from '../packages/slidev-addon-under-the-hood/demos/lora/engine'
import { baseUnetBytes, loadLoraNode, loraNetsNode } from '../packages/slidev-addon-under-the-hood/demos/lora/node'
import { checkVideoParams, generateClip, videoNets } from '../packages/slidev-addon-under-the-hood/demos/video/clip'
import { loadVideoNode } from '../packages/slidev-addon-under-the-hood/demos/video/node'
import { describeMotion, judged, motionOf } from '../packages/slidev-addon-under-the-hood/demos/video/motion'
import { checkAudioParams, generateSound } from '../packages/slidev-addon-under-the-hood/demos/audio/sound'
import { hear, pictureRgba, pitchOf, wavFile } from '../packages/slidev-addon-under-the-hood/demos/audio/picture'
import { loadAudioNode } from '../packages/slidev-addon-under-the-hood/demos/audio/node'

const HELP = `usage: npm run generate -- --prompt TEXT [--seed N] [--steps N] [--guidance W] [--sampler ddim|ddpm]
                              [--out FILE.png] [--grid] [--seeds 1,2,3,4] [--guidances 0,2,4,8] [--scale N]
                              [--lora NAME [--lora-scale S]]   (S from 0 to 1, default 1)
       npm run generate -- --video --prompt "rocket moving up" [--seed N] [--steps N] [--frames N] [--out DIR] [--scale N]
       npm run generate -- --audio --prompt "whistle at A4" [--seed N] [--steps N] [--guidance W] [--iterations N] [--out FILE.wav]`

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      prompt: { type: 'string', default: '' }, seed: { type: 'string', default: '0' }, steps: { type: 'string' },
      guidance: { type: 'string' }, sampler: { type: 'string', default: 'ddim' }, out: { type: 'string', default: 'generated.png' },
      grid: { type: 'boolean', default: false }, seeds: { type: 'string', default: '1,2,3,4' },
      guidances: { type: 'string', default: '0,1,2,4,6,9' }, scale: { type: 'string', default: '4' },
      'lora': { type: 'string' }, 'lora-scale': { type: 'string', default: '1' },
      'video': { type: 'boolean', default: false }, 'frames': { type: 'string' },
      'audio': { type: 'boolean', default: false }, 'iterations': { type: 'string', default: '32' },
      models: { type: 'string', default: join(import.meta.dirname, '..', 'packages/slidev-addon-under-the-hood', 'models') }, help: { type: 'boolean', default: false },
    },
  })
  if (values.help) {
    console.log(HELP)
    return 0
  }
  if (values.video)
    return video(values)
  if (values.audio)
    return audio(values)
  const loaded = await loadDiffusionNode(values.models!)
  const { config } = loaded
  let nets = loaded.nets
  let loraNote = ''
  if (values.lora) {
    const strength = Number(values['lora-scale'])
    if (!Number.isFinite(strength) || strength < 0 || strength > 1)
      throw new LoraError(`--lora-scale takes a number from 0 to 1; got "${values['lora-scale']}".`)
    const base = baseUnetBytes(values.models!)
    const adapter = loadLoraNode(values.models!, values.lora, base)
    nets = await loraNetsNode(nets, base, adapter, strength)
    loraNote = `, LoRA ${adapter.config.name} at ${strength} (trigger word "${adapter.config.trigger}")`
  }
  const { params, notes } = checkParams({
    prompt: values.prompt, seed: values.seed, sampler: values.sampler,
    steps: values.steps ?? config.sampling.default_steps, guidance: values.guidance ?? config.sampling.default_guidance,
  })
  notes.forEach(n => console.warn(`note: ${n}`))
  const scale = Math.max(1, Math.min(16, Math.round(Number(values.scale) || 4)))
  const size = config.image.size
  const sharp = (await import('sharp')).default
  const t0 = performance.now()
  if (!values.grid) {
    const { image } = await generateImage(nets, config, params)
    const [rgba] = planarToRgba(image, 1, size)
    await sharp(Buffer.from(rgba!), { raw: { width: size, height: size, channels: 4 } })
      .resize(size * scale, size * scale, { kernel: 'nearest' }).png().toFile(values.out!)
    console.log(`wrote ${values.out} — "${params.prompt}", seed ${params.seed}, ${params.steps} ${params.sampler.toUpperCase()} steps, guidance ${params.guidance}${loraNote} (${(performance.now() - t0).toFixed(0)} ms)`)
    return 0
  }
  // grid: rows = seeds, columns = guidance weights; each row is one batched generation
  const seeds = values.seeds!.split(',').map(s => checkParams({ ...params, seed: s }).params.seed)
  const weights = values.guidances!.split(',').map(g => checkParams({ ...params, guidance: g }).params.guidance)
  const cond = repeatConditioning(await nets.encodeText([config.text_encoder.unconditional_prompt, params.prompt]), weights.length)
  const n = latentSize(config)
  const cell = size * scale
  const tiles: { input: Buffer, left: number, top: number }[] = []
  for (const [r, seed] of seeds.entries()) {
    const start = new Float32Array(n * weights.length)
    weights.forEach((_, c) => start.set(initialLatent(config, seed), c * n))
    const { image } = await generateImage(nets, config, { ...params, seed }, { cond, start, guidances: weights })
    for (const [c, rgba] of planarToRgba(image, weights.length, size).entries()) {
      const input = await sharp(Buffer.from(rgba), { raw: { width: size, height: size, channels: 4 } }).resize(cell, cell, { kernel: 'nearest' }).png().toBuffer()
      tiles.push({ input, left: c * (cell + 4), top: r * (cell + 4) })
    }
  }
  await sharp({ create: { width: weights.length * (cell + 4) - 4, height: seeds.length * (cell + 4) - 4, channels: 4, background: '#ffffff' } })
    .composite(tiles).png().toFile(values.out!)
  console.log(`wrote ${values.out} — "${params.prompt}": rows seeds ${seeds.join(', ')}; columns guidance ${weights.join(', ')}${loraNote} (${(performance.now() - t0).toFixed(0)} ms)`)
  return 0
}

/** micro-video: the frames as PNGs and the clip as a looping GIF (6 frames a second) in the folder `--out`. */
async function video(values: { prompt?: string, seed?: string, steps?: string, guidance?: string, frames?: string, out?: string, scale?: string, models?: string }): Promise<number> {
  const v = await loadVideoNode(values.models!)
  const { params, notes } = checkVideoParams({ prompt: values.prompt, seed: values.seed, steps: values.steps, guidance: values.guidance, frames: values.frames }, v.config)
  notes.forEach(n => console.warn(`note: ${n}`))
  const dir = values.out === 'generated.png' ? 'clip' : values.out!
  const { mkdirSync } = await import('node:fs')
  mkdirSync(dir, { recursive: true })
  const sharp = (await import('sharp')).default
  const size = v.image.config.image.size
  const scale = Math.max(1, Math.min(16, Math.round(Number(values.scale) || 4)))
  const t0 = performance.now()
  const nets = videoNets(v.ort, v.session, v.image.nets, v.config, params.motion)
  let frames: Uint8ClampedArray[] = []
  for await (const s of generateClip(nets, v.image.config, params, { show: 'final' })) frames = s.x0
  const big = (rgba: Uint8ClampedArray) => sharp(Buffer.from(rgba), { raw: { width: size, height: size, channels: 4 } }).resize(size * scale, size * scale, { kernel: 'nearest' })
  const raws: Buffer[] = []
  for (const [k, f] of frames.entries()) {
    await big(f).png().toFile(join(dir, `frame-${String(k).padStart(2, '0')}.png`))
    raws.push(await big(f).raw().toBuffer())
  }
  const side = size * scale
  await sharp(Buffer.concat(raws), { raw: { width: side, height: side * frames.length, channels: 4, pageHeight: side } })
    .gif({ loop: 0, delay: Array(frames.length).fill(167) }).toFile(join(dir, 'clip.gif'))
  const m = motionOf(frames, size)
  const motion = v.config.motions[params.motion]!
  console.log(`wrote ${dir}/frame-00.png … frame-${String(frames.length - 1).padStart(2, '0')}.png and ${dir}/clip.gif — "${params.prompt}", seed ${params.seed}, ${frames.length} frames, ${params.steps} steps (${(performance.now() - t0).toFixed(0)} ms)`)
  console.log(`motion asked: ${motion}; measured: ${describeMotion(m)} (${judged(motion, m) ? 'matches' : 'does not clearly match'})`)
  return 0
}

/** micro-audio: the sound as a mono WAV at the model's sample rate, and the picture beside it as a PNG. */
async function audio(values: { prompt?: string, seed?: string, steps?: string, guidance?: string, out?: string, iterations?: string, models?: string }): Promise<number> {
  const a = await loadAudioNode(values.models!)
  const { params, notes } = checkAudioParams({ prompt: values.prompt, seed: values.seed, steps: values.steps, guidance: values.guidance }, a.config)
  notes.forEach(n => console.warn(`note: ${n}`))
  const iterations = Math.max(0, Math.min(500, Math.round(Number(values.iterations))))
  if (!Number.isFinite(iterations))
    throw new DiffusionInputError(`--iterations takes a number of Griffin–Lim iterations; got "${values.iterations}".`)
  const out = values.out === 'generated.png' ? 'generated.wav' : values.out!
  const t0 = performance.now()
  let last: Float32Array | undefined
  for await (const s of generateSound(a.nets, a.config, params)) last = s.next
  const f = a.config.sound
  const { sound } = hear(last!, f, iterations)
  const { writeFileSync } = await import('node:fs')
  writeFileSync(out, wavFile(sound, f.sample_rate))
  const sharp = (await import('sharp')).default
  const png = out.replace(/\.wav$/i, '') + '.png'
  await sharp(Buffer.from(pictureRgba(last!, f, 4)), { raw: { width: f.frames * 4, height: f.rows * 4, channels: 4 } }).png().toFile(png)
  let peak = 0
  for (const v of sound) peak = Math.max(peak, Math.abs(v))
  console.log(`wrote ${out} (${(sound.length / f.sample_rate).toFixed(2)} s, ${f.sample_rate} Hz mono, peak ${(20 * Math.log10(peak || 1e-9)).toFixed(1)} dBFS) and ${png} — "${params.prompt}", seed ${params.seed}, ${params.steps} steps, ${iterations} Griffin–Lim iterations (${(performance.now() - t0).toFixed(0)} ms)`)
  console.log(`heard pitch ${pitchOf(sound, f.sample_rate).toFixed(1)} Hz`)
  return 0
}

main().then(code => process.exit(code), (err) => {
  console.error(`error: ${err instanceof DiffusionInputError || err instanceof LoraError ? err.message : err instanceof Error ? err.message : String(err)}`)
  process.exit(2)
})
