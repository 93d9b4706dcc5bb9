/** The scale of video: the talk's example counted exactly, compression as open video models do it, bad input refused. */
import { describe, expect, it } from 'vitest'
import { checkSize, MICRO_DIFFUSION, PRESETS, spoken, VIDEO_DIT, videoScale, VideoScaleError } from '../../packages/slidev-addon-under-the-hood/demos/videoscale/engine'

describe('the scale of video', () => {
  it('counts 10 s of Full HD at 24 fps as 1,492,992,000 values', () => {
    const s = videoScale(PRESETS.fullhd!.size, VIDEO_DIT)
    expect(s.values).toBe(1_492_992_000)
    expect(s.frames).toBe(240)
    // causal video autoencoder: the first frame alone, then 4 frames per latent frame
    expect(s.latentFrames).toBe(61)
    expect([s.latentWidth, s.latentHeight]).toEqual([240, 135])
    expect(s.latentValues).toBe(240 * 135 * 61 * 16)
    expect(s.tokens).toBe(120 * 68 * 61)
    expect(s.pairs).toBe(s.tokens ** 2)
    expect(spoken(s.values)).toBe('1.49 billion')
  })

  it('counts our micro-diffusion image as the model sees it', () => {
    const s = videoScale(PRESETS.micro!.size, MICRO_DIFFUSION)
    expect([s.values, s.latentValues, s.tokens, s.pairs]).toEqual([3072, 256, 64, 4096])
    expect(spoken(4096)).toBe('4,096')
  })

  it('computes a 10-minute video and refuses what is not a size', () => {
    const ten = checkSize({ width: 1920, height: 1080, fps: 24, seconds: '600' })
    expect(videoScale(ten, VIDEO_DIT).values).toBe(1_492_992_000 * 60)
    expect(() => checkSize({ width: 'wide', height: 1080, fps: 24, seconds: 10 })).toThrow(/Width must be a number/)
    expect(() => checkSize({ width: 1920, height: -5, fps: 24, seconds: 10 })).toThrow(VideoScaleError)
    expect(() => checkSize({ width: 1920, height: 1080, fps: 23.5, seconds: 10 })).toThrow(/whole number/)
    expect(() => checkSize({ width: 1920, height: 1080, fps: 24, seconds: 1e9 })).toThrow(/Seconds goes from/)
  })
})
