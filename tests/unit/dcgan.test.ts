/**
 * micro-GAN's generator snapshots: the ONNX files against torch (parity.json) for every snapshot, the
 * engine's noise and latent walk, the config checks, and what training did (measured here, from the
 * pictures the shipped snapshots draw, not read from metrics.json).
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadOrtNode, nodeSession, SHIPPED_MODELS } from '../../packages/slidev-addon-under-the-hood/demos/runtime/node'
import type { GanConfig } from '../../packages/slidev-addon-under-the-hood/demos/dcgan/engine'
import { checkGanConfig, GanConfigError, ganNoise, GanSnapshots, latentWalk } from '../../packages/slidev-addon-under-the-hood/demos/dcgan/engine'

const ROOT = join(import.meta.dirname, '..', '..')
const folders: [string, string][] = [['shipped', join(SHIPPED_MODELS, 'micro-gan')]]
const smoke = join(ROOT, 'training', 'runs', 'smoke', 'models', 'micro-gan')
if (existsSync(smoke)) folders.push(['smoke run', smoke])

async function open(dir: string): Promise<GanSnapshots> {
  const config = checkGanConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')))
  const sessions = await Promise.all(config.snapshots.map(s => nodeSession(join(dir, s.file))))
  return new GanSnapshots(config, await loadOrtNode(), sessions)
}

describe.each(folders)('micro-GAN (%s)', (_name, dir) => {
  it('every ONNX snapshot draws what torch drew from the same noise', async () => {
    const parity = JSON.parse(readFileSync(join(dir, 'parity.json'), 'utf8')) as { z: number[], snapshots: Record<string, number[]> }
    const gan = await open(dir)
    expect(Object.keys(parity.snapshots).map(Number)).toEqual(gan.config.snapshots.map(s => s.step))
    for (const [k, s] of gan.config.snapshots.entries()) {
      const out = await gan.generate(k, Float32Array.from(parity.z))
      const want = parity.snapshots[String(s.step)]!
      expect(out.length).toBe(want.length)
      let max = 0
      for (let i = 0; i < out.length; i++) max = Math.max(max, Math.abs(out[i]! - want[i]!))
      expect(max, `snapshot at step ${s.step}`).toBeLessThan(1e-4)
    }
  })
})

describe('micro-GAN, the shipped snapshots', () => {
  const dir = folders[0]![1]
  const spread = (images: Uint8ClampedArray[]) => {
    // Mean per-pixel standard deviation across the images: 0 when every seed gives the same picture.
    const n = images.length
    const px = images[0]!.length
    let sum = 0
    for (let i = 0; i < px; i++) {
      if (i % 4 === 3) continue
      let m = 0
      for (const im of images) m += im[i]!
      m /= n
      let v = 0
      for (const im of images) v += (im[i]! - m) ** 2
      sum += Math.sqrt(v / n)
    }
    return sum / (px * 0.75)
  }

  it('starts as one flat texture for every seed and ends drawing different pictures per seed', async () => {
    const gan = await open(dir)
    const z = ganNoise(gan.config.nz, [1, 2, 3, 4, 5, 6, 7, 8])
    const first = await gan.images(0, z)
    const lastImgs = await gan.images(gan.count - 1, z)
    expect(spread(first)).toBeLessThan(2) // the untrained generator ignores its input
    expect(spread(lastImgs)).toBeGreaterThan(25)
  })

  it('the trained generator draws yellow faces: the centre is yellow (R, G high; B low) on most seeds', async () => {
    const gan = await open(dir)
    const seeds = Array.from({ length: 32 }, (_, k) => k + 100)
    const images = await gan.images(gan.count - 1, ganNoise(gan.config.nz, seeds))
    const s = gan.config.image_size
    const yellow = images.filter((im) => {
      let r = 0; let g = 0; let b = 0
      for (let y = s / 2 - 4; y < s / 2 + 4; y++) {
        for (let x = s / 2 - 4; x < s / 2 + 4; x++) {
          const i = (y * s + x) * 4
          r += im[i]!; g += im[i + 1]!; b += im[i + 2]!
        }
      }
      return r > 1.4 * b && g > 1.2 * b
    }).length
    expect(yellow).toBeGreaterThan(seeds.length / 2)
  })

  it('a latent walk starts and ends on its two seeds\' pictures, and moves smoothly between them', async () => {
    const gan = await open(dir)
    const nz = gan.config.nz
    const a = ganNoise(nz, [1])
    const b = ganNoise(nz, [2])
    const walk = latentWalk(a, b, 8)
    expect(Array.from(walk.subarray(0, nz))).toEqual(Array.from(a))
    for (let i = 0; i < nz; i++) expect(walk[7 * nz + i]!).toBeCloseTo(b[i]!, 5)
    const images = await gan.images(gan.count - 1, walk)
    const dist = (p: Uint8ClampedArray, q: Uint8ClampedArray) => {
      let d = 0
      for (let i = 0; i < p.length; i++) d += Math.abs(p[i]! - q[i]!)
      return d / p.length
    }
    const steps = images.slice(1).map((im, k) => dist(images[k]!, im))
    expect(Math.max(...steps)).toBeLessThan(dist(images[0]!, images[7]!))
  })
})

describe('micro-GAN engine inputs', () => {
  const good: GanConfig = { model_type: 'dcgan', nz: 32, image_size: 32, output_range: [-1, 1], steps: 10, snapshots: [{ step: 0, fraction: 0, file: 'a.onnx' }, { step: 10, fraction: 1, file: 'b.onnx' }] }

  it('accepts its own config and says what is wrong with another model\'s', () => {
    expect(checkGanConfig(good)).toEqual(good)
    expect(() => checkGanConfig({ ...good, model_type: 'unet' }, 'micro-diffusion')).toThrow(/micro-diffusion is not a GAN.*model_type is "unet"/)
    expect(() => checkGanConfig({ ...good, snapshots: [] })).toThrow(/no generator snapshots/)
    expect(() => checkGanConfig({ ...good, snapshots: [...good.snapshots].reverse() })).toThrow(/training order/)
    expect(() => checkGanConfig(null)).toThrow(GanConfigError)
  })

  it('gives the same noise for a seed on every call, and different noise for different seeds', () => {
    expect(Array.from(ganNoise(32, [3]))).toEqual(Array.from(ganNoise(32, [3])))
    expect(Array.from(ganNoise(32, [3]))).not.toEqual(Array.from(ganNoise(32, [4])))
    expect(Array.from(ganNoise(32, [3, 4]).subarray(32))).toEqual(Array.from(ganNoise(32, [4])))
  })

  it('refuses noise of the wrong length, and a generator that returns the wrong shape', async () => {
    const ort = await loadOrtNode()
    const wrong = { run: async () => ({ image: { data: new Float32Array(3 * 16 * 16), dims: [1, 3, 16, 16] } }) }
    const gan = new GanSnapshots(good, ort, [wrong, wrong])
    await expect(gan.generate(0, new Float32Array(31))).rejects.toThrow(/not a whole number of 32-vectors/)
    await expect(gan.generate(0, new Float32Array(32))).rejects.toThrow(/\[1, 3, 16, 16\], not \[1, 3, 32, 32\]/)
    expect(() => new GanSnapshots(good, ort, [wrong])).toThrow(/2 snapshots listed, 1 loaded/)
  })
})
