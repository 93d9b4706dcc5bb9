/**
 * The memorisation probe: the atlas of training pictures cut into tiles, the nearest-picture search, and the
 * shipped micro-diffusion drawing a common prompt next to its own training art (it memorises: the nearest
 * training picture is the prompt's emoji, much closer than two training emoji are to each other).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadTransformersNode, SHIPPED_MODELS } from '../../packages/slidev-addon-under-the-hood/demos/runtime/node'
import { loadDiffusionNode } from '../../packages/slidev-addon-under-the-hood/demos/diffusion/node'
import { checkParams, generateImage } from '../../packages/slidev-addon-under-the-hood/demos/diffusion/sampler'
import type { AtlasMeta } from '../../packages/slidev-addon-under-the-hood/demos/memorisation/engine'
import { AtlasError, fromPlanar, nearest, tileRgba, tilesFromAtlas, typicalDistance, verdict } from '../../packages/slidev-addon-under-the-hood/demos/memorisation/engine'

const meta = (n: number, columns = 2, tile = 2): AtlasMeta => ({
  tile, columns, styles: {}, images: Array.from({ length: n }, (_, i) => ({ name: `e${i % 2 === 0 ? i : i - 1}`, style: i % 2 ? 'twemoji' : 'noto' })),
})

describe('memorisation engine', () => {
  // a 4×4 RGBA atlas of four 2×2 tiles, each one flat colour: tile k has value 60·k in every channel
  const atlas = new Uint8Array(4 * 4 * 4)
  for (let y = 0; y < 4; y++) {
    for (let x = 0; x < 4; x++) {
      const k = Math.floor(y / 2) * 2 + Math.floor(x / 2)
      atlas.set([60 * k, 60 * k, 60 * k, 255], (y * 4 + x) * 4)
    }
  }

  it('cuts the atlas into its tiles and finds the nearest ones, nearest first', () => {
    const set = tilesFromAtlas(atlas, 4, 4, 4, meta(4))
    expect(set.count).toBe(4)
    const probe = new Float32Array(12).fill(120 / 255) // exactly tile 2
    const near = nearest(set, probe, 3)
    expect(near.map(n => n.index)).toEqual([2, 1, 3])
    expect(near[0]!.distance).toBeCloseTo(0, 6)
    expect(near[1]!.distance).toBeCloseTo(60 / 255, 5)
    expect(near[0]).toMatchObject({ name: 'e2', style: 'noto' })
    expect([...tileRgba(set, 3).slice(0, 4)]).toEqual([180, 180, 180, 255])
    // different emoji only: tiles 0/1 share a name, 2/3 share one, so every pair counted is 0↔2, 0↔3, 1↔2 or 1↔3
    const d = typicalDistance(set, 50)
    expect(d).toBeGreaterThanOrEqual(60 / 255 - 1e-6)
    expect(d).toBeLessThanOrEqual(180 / 255 + 1e-6)
  })

  it('reads the decoder\'s planar [-1, 1] picture as RGB in [0, 1], clamped', () => {
    // a 1×1 picture: R = -1, G = 0, B = 3 (clamped); then a 2×2 one, channel planes one after the other
    expect([...fromPlanar(Float32Array.from([-1, 0, 3]), 1)]).toEqual([0, 0.5, 1])
    const planar = Float32Array.from([-1, -1, -1, 1, 0, 0, 0, 0, 1, 1, 1, 1])
    expect([...fromPlanar(planar, 2).slice(9, 12)]).toEqual([1, 0.5, 1])
    expect(verdict(0.05, 0.4)).toMatch(/nearly a copy/)
    expect(verdict(0.5, 0.4)).toMatch(/no closer/)
  })

  it('refuses an atlas that does not fit its list, and a picture of another size', () => {
    expect(() => tilesFromAtlas(atlas, 4, 4, 4, meta(9))).toThrow(AtlasError)
    expect(() => tilesFromAtlas(atlas.slice(1), 4, 4, 4, meta(4))).toThrow(/training-images.png is 4×4/)
    const set = tilesFromAtlas(atlas, 4, 4, 4, meta(4))
    expect(() => nearest(set, new Float32Array(5))).toThrow(/5 values/)
  })
})

describe('memorisation probe on the shipped micro-diffusion', () => {
  it('draws "red apple" next to a training apple, far closer than two training emoji are to each other', async () => {
    const dir = join(SHIPPED_MODELS, 'micro-diffusion')
    const m = JSON.parse(readFileSync(join(dir, 'training-images.json'), 'utf8')) as AtlasMeta
    const t = await loadTransformersNode()
    const img = await t.RawImage.read(join(dir, 'training-images.png'))
    const set = tilesFromAtlas(img.data, img.width, img.height, img.channels, m)
    expect(set.count).toBeGreaterThan(3000)
    const { nets, config } = await loadDiffusionNode(SHIPPED_MODELS)
    const { params } = checkParams({ prompt: 'red apple', seed: 1, steps: 30, guidance: config.sampling.default_guidance })
    const { image } = await generateImage(nets, config, params)
    const near = nearest(set, fromPlanar(image, config.image.size), 4)
    expect(near[0]!.name).toBe('red apple')
    expect(near[0]!.distance).toBeLessThan(typicalDistance(set) / 2)
  })
})
