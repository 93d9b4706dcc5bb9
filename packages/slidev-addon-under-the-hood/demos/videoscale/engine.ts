/**
 * The scale of video, counted: pixels × colours × frames → values; after a video autoencoder (space and
 * time compressed, as open latent video models do) → latent values; cut into patches → tokens; and the
 * pairs one attention layer compares (tokens²). Plain arithmetic, so a presenter can try any length.
 */

export interface VideoSize { width: number, height: number, fps: number, seconds: number }
export interface Compression {
  /** Pixels per latent position along each side. */
  spatial: number
  /** Frames per latent frame (after the first, which a causal video autoencoder keeps alone). */
  temporal: number
  latentChannels: number
  /** Latent positions per token along each side. */
  patch: number
}

/**
 * Compression of open latent video diffusion transformers (Wan 2.1, HunyuanVideo): 8× per side in
 * space, 4× in time, 16 channels, 2×2 patches.
 */
export const VIDEO_DIT: Compression = { spatial: 8, temporal: 4, latentChannels: 16, patch: 2 }
/** Our micro-diffusion: 4× per side, 4 channels, one image, attention at every latent position. */
export const MICRO_DIFFUSION: Compression = { spatial: 4, temporal: 1, latentChannels: 4, patch: 1 }

export const PRESETS: Record<string, { label: string, size: VideoSize, compression: Compression }> = {
  micro: { label: 'one micro-diffusion image', size: { width: 32, height: 32, fps: 1, seconds: 1 }, compression: MICRO_DIFFUSION },
  gif: { label: 'a small GIF', size: { width: 320, height: 240, fps: 12, seconds: 3 }, compression: VIDEO_DIT },
  fullhd: { label: '10 s of Full HD', size: { width: 1920, height: 1080, fps: 24, seconds: 10 }, compression: VIDEO_DIT },
  film: { label: 'a 2-hour film in 4K', size: { width: 3840, height: 2160, fps: 24, seconds: 7200 }, compression: VIDEO_DIT },
}

export const LIMITS = { maxSide: 16384, maxFps: 240, maxSeconds: 24 * 3600 } as const

export class VideoScaleError extends Error {}

/** Checks typed values: whole pixels and frames per second, any length up to a day. */
export function checkSize(raw: Record<keyof VideoSize, unknown>): VideoSize {
  const num = (v: unknown, what: string, min: number, max: number, whole: boolean) => {
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : typeof v === 'number' ? v : Number.NaN
    if (!Number.isFinite(n)) throw new VideoScaleError(`${what} must be a number (got "${String(v).slice(0, 20)}").`)
    if (whole && !Number.isInteger(n)) throw new VideoScaleError(`${what} is a whole number (got ${n}).`)
    if (n < min || n > max) throw new VideoScaleError(`${what} goes from ${min.toLocaleString('en')} to ${max.toLocaleString('en')} (got ${n.toLocaleString('en')}).`)
    return n
  }
  return {
    width: num(raw.width, 'Width', 1, LIMITS.maxSide, true),
    height: num(raw.height, 'Height', 1, LIMITS.maxSide, true),
    fps: num(raw.fps, 'Frames per second', 1, LIMITS.maxFps, true),
    seconds: num(raw.seconds, 'Seconds', 0.04, LIMITS.maxSeconds, false),
  }
}

export interface Scale {
  frames: number
  /** width × height × 3 colours × frames */
  values: number
  latentFrames: number
  latentWidth: number
  latentHeight: number
  latentValues: number
  tokens: number
  /** tokens², the pairs one full attention layer compares */
  pairs: number
}

export function videoScale(v: VideoSize, c: Compression): Scale {
  const frames = Math.max(1, Math.round(v.fps * v.seconds))
  const latentFrames = c.temporal > 1 ? 1 + Math.ceil((frames - 1) / c.temporal) : frames
  const latentWidth = Math.ceil(v.width / c.spatial)
  const latentHeight = Math.ceil(v.height / c.spatial)
  const tokens = Math.ceil(latentWidth / c.patch) * Math.ceil(latentHeight / c.patch) * latentFrames
  return {
    frames,
    values: v.width * v.height * 3 * frames,
    latentFrames,
    latentWidth,
    latentHeight,
    latentValues: latentWidth * latentHeight * latentFrames * c.latentChannels,
    tokens,
    pairs: tokens * tokens,
  }
}

/** A count in words people read aloud: 1.49 billion, 31.6 million, 4,096. */
export function spoken(n: number): string {
  const units: [number, string][] = [[1e18, 'quintillion'], [1e15, 'quadrillion'], [1e12, 'trillion'], [1e9, 'billion'], [1e6, 'million']]
  for (const [u, w] of units) if (n >= u) return `${(n / u).toPrecision(3).replace(/\.?0+$/, '')} ${w}`
  return Math.round(n).toLocaleString('en')
}
