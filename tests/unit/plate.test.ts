/** Cutting a chronophotographic plate into frames: a drawn plate, and Muybridge's cat as the deck uses it. */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { luma, plateCells } from '../../packages/slidev-addon-under-the-hood/demos/video/plate'

describe('plate cells', () => {
  it('finds the cells between dark bands, and splits touching pictures evenly', () => {
    // 3 × 2 cells of 20 × 10 on a dark mount: dark bands between the rows, none between the columns
    const W = 64
    const H = 26
    const g = new Float32Array(W * H).fill(20)
    for (let y = 0; y < H; y++) for (let x = 2; x < 62; x++) if ((y >= 2 && y < 12) || (y >= 14 && y < 24)) g[y * W + x] = 200
    const cells = plateCells(g, W, H, 3, 2, { inset: 0 })
    expect(cells).toEqual([
      { x: 2, y: 2, w: 20, h: 10 }, { x: 22, y: 2, w: 20, h: 10 }, { x: 42, y: 2, w: 20, h: 10 },
      { x: 2, y: 14, w: 20, h: 10 }, { x: 22, y: 14, w: 20, h: 10 }, { x: 42, y: 14, w: 20, h: 10 },
    ])
    expect(() => plateCells(new Float32Array(W * H), W, H, 3, 2)).toThrow(/no bright area/)
  })

  it('cuts Muybridge\'s cat into 24 frames of one size, row by row', async () => {
    const sharp = (await import('sharp')).default
    const file = join(import.meta.dirname, '..', '..', 'node_modules', '@stdlib', 'datasets-img-locomotion-house-cat', 'data', 'image.jpg')
    const { data, info } = await sharp(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
    const cells = plateCells(luma(data, info.width, info.height), info.width, info.height, 6, 4)
    expect(cells).toHaveLength(24)
    for (const c of cells) {
      expect(c.w).toBeGreaterThan(150)
      expect(c.h).toBeGreaterThan(100)
    }
    // rows follow one another down the plate, columns across it
    expect(cells[6]!.y).toBeGreaterThan(cells[0]!.y + cells[0]!.h)
    expect(cells[1]!.x).toBeGreaterThan(cells[0]!.x + cells[0]!.w - 8)
    // no cell takes in the dark mount: each is bright on average
    const g = luma(data, info.width, info.height)
    for (const c of cells) {
      let sum = 0
      for (let y = c.y; y < c.y + c.h; y++) for (let x = c.x; x < c.x + c.w; x++) sum += g[y * info.width + x]!
      expect(sum / (c.w * c.h)).toBeGreaterThan(120)
    }
  })
})
