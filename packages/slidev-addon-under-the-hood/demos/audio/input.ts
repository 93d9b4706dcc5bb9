/**
 * Sound from outside for the model: an audio file or the microphone, brought to the model's sample rate
 * by the browser's own resampler (an OfflineAudioContext at that rate), mono, checked for the limits and
 * for silence. Browser only (Web Audio), framework-free.
 */
import { AudioInputError } from '../spectrogram/engine'

export const MAX_FILE_BYTES = 50 * 1024 * 1024
/** Louder than this somewhere (−50 dBFS), or it counts as silence. */
export const SILENCE = 10 ** (-50 / 20)

/** The first `seconds` of a mono signal at `rate`, resampled by the browser to `to`. */
async function resample(data: Float32Array, rate: number, to: number, seconds: number): Promise<Float32Array> {
  const n = Math.min(data.length, Math.ceil(seconds * rate))
  const out = Math.max(1, Math.ceil((n * to) / rate))
  const ctx = new OfflineAudioContext(1, out, to)
  const buf = ctx.createBuffer(1, n, rate)
  buf.copyToChannel(data.subarray(0, n) as Float32Array<ArrayBuffer>, 0)
  const src = ctx.createBufferSource()
  src.buffer = buf
  src.connect(ctx.destination)
  src.start()
  return (await ctx.startRendering()).getChannelData(0).slice()
}

function peak(x: Float32Array): number {
  let m = 0
  for (const v of x) m = Math.max(m, Math.abs(v))
  return m
}

/** The first `seconds` of an audio file at `rate`, mono. Refuses what is not audio, too big, or silent. */
export async function fileSound(file: File, rate: number, seconds: number): Promise<{ samples: Float32Array, note: string }> {
  if (file.type && !/^audio\/|^video\//.test(file.type))
    throw new AudioInputError(`"${file.name}" is not a sound (${file.type}). Use a WAV, MP3, OGG or FLAC file.`)
  if (file.size > MAX_FILE_BYTES)
    throw new AudioInputError(`"${file.name}" is ${(file.size / 1024 / 1024).toFixed(0)} MB; sounds up to ${MAX_FILE_BYTES / 1024 / 1024} MB can be used (the model needs only its first second).`)
  let buf: AudioBuffer
  try {
    buf = await new OfflineAudioContext(1, 1, 44100).decodeAudioData(await file.arrayBuffer())
  }
  catch {
    throw new AudioInputError(`"${file.name}" could not be decoded as audio.`)
  }
  const n = Math.min(buf.length, Math.ceil(seconds * buf.sampleRate))
  const mono = new Float32Array(n)
  for (let c = 0; c < buf.numberOfChannels; c++) {
    const d = buf.getChannelData(c)
    for (let i = 0; i < n; i++) mono[i]! += d[i]! / buf.numberOfChannels
  }
  const samples = await resample(mono, buf.sampleRate, rate, seconds)
  if (peak(samples) < SILENCE)
    throw new AudioInputError(`The first ${seconds} s of "${file.name}" are silent: nothing to continue.`)
  const note = buf.duration > 60
    ? `"${file.name}" is ${Math.round(buf.duration / 60)} minutes long; the model continues its first ${seconds} s.`
    : ''
  return { samples, note }
}

/** `seconds` of the microphone at `rate`, mono. Clear messages for no access, a refusal, or silence. */
export async function microphoneSound(rate: number, seconds: number): Promise<Float32Array> {
  if (!navigator.mediaDevices?.getUserMedia)
    throw new AudioInputError('This browser gives no microphone access here (it needs https or localhost).')
  let stream: MediaStream
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } })
  }
  catch (err) {
    const name = err instanceof Error ? err.name : ''
    throw new AudioInputError(name === 'NotAllowedError'
      ? 'The microphone was not allowed. Allow it in the browser\'s address bar, or continue a file or the sound on screen.'
      : name === 'NotFoundError'
        ? 'No microphone found on this computer. Continue a file or the sound on screen instead.'
        : `The microphone could not start (${name || 'unknown error'}).`)
  }
  const ctx = new AudioContext()
  try {
    await ctx.resume()
    const started = performance.now()
    const source = ctx.createMediaStreamSource(stream)
    const analyser = ctx.createAnalyser()
    analyser.fftSize = 32768
    source.connect(analyser)
    const want = Math.ceil(seconds * ctx.sampleRate)
    // The analyser holds the newest fftSize samples: read them once the recording is long enough.
    const chunks: Float32Array[] = []
    let got = 0
    const block = new Float32Array(analyser.fftSize)
    let last = ctx.currentTime
    while (got < want) {
      await new Promise(r => setTimeout(r, 100))
      const now = ctx.currentTime
      const fresh = Math.min(block.length, Math.round((now - last) * ctx.sampleRate))
      if (performance.now() - started > seconds * 4000 + 2000)
        throw new AudioInputError('The microphone gave no sound data (is another program using it?).')
      if (fresh <= 0) continue
      analyser.getFloatTimeDomainData(block)
      chunks.push(block.slice(block.length - fresh))
      got += fresh
      last = now
    }
    const all = new Float32Array(got)
    let at = 0
    for (const c of chunks) {
      all.set(c, at)
      at += c.length
    }
    const samples = await resample(all.subarray(0, want), ctx.sampleRate, rate, seconds)
    if (peak(samples) < SILENCE)
      throw new AudioInputError('The microphone heard only silence (quieter than −50 dBFS). Check that it is on and not muted, then try again.')
    return samples
  }
  finally {
    stream.getTracks().forEach(t => t.stop())
    void ctx.close()
  }
}
