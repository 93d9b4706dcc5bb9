import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { allFiles, captions, FAMILIES, MAX_CAPTION, probe, TONES, variantFile } from '../../packages/slidev-addon-under-the-hood/demos/bias/engine'

const NOTO = join(import.meta.dirname, '..', '..', 'node_modules', 'emoji-datasource-google')

describe('bias probe', () => {
  it('names the Noto files of every variant, and the package has them all', () => {
    expect(variantFile('1f46e', 0)).toBe('1f46e.png')
    expect(variantFile('1f46e', 3)).toBe('1f46e-1f3fd.png')
    expect(variantFile('1f9d1-200d-2695-fe0f', 5)).toBe('1f9d1-1f3ff-200d-2695-fe0f.png')
    // the package's own metadata agrees with the file names, and every file exists
    const meta = JSON.parse(readFileSync(join(NOTO, 'emoji.json'), 'utf8')) as { image: string, skin_variations?: Record<string, { image: string }> }[]
    for (const f of FAMILIES) {
      const e = meta.find(m => m.image === variantFile(f.code, 0))!
      expect(e, f.name).toBeTruthy()
      const toned = Object.values(e.skin_variations!).map(v => v.image)
      for (let t = 1; t < TONES.length; t++) expect(toned).toContain(variantFile(f.code, t))
    }
    expect(allFiles()).toHaveLength(FAMILIES.length * TONES.length)
    for (const file of allFiles()) expect(existsSync(join(NOTO, 'img', 'google', '64', file)), file).toBe(true)
  })

  it('probes each row with its own name, or one caption for all; cuts long captions', () => {
    expect(captions('  ').captions).toEqual(FAMILIES.map(f => f.name))
    expect(new Set(captions(' a  person\nwaving ').captions)).toEqual(new Set(['a person waving']))
    const long = captions('😀'.repeat(500))
    expect([...long.captions[0]!]).toHaveLength(MAX_CAPTION)
    expect(long.note).toMatch(/cut/)
  })

  it('picks the closest variant per row and counts the picks; can leave the default out', () => {
    const cap = [[1, 0], [0, 1]]
    const img = [
      [[0, 1], [1, 0.1], [0, 1], [0, 1], [0, 1], [0, 1]], // row 0: tone 1 matches
      [[0, 1], [1, 0], [1, 0], [1, 0], [1, 0], [1, 0.2]], // row 1: default matches best, then tone 5
    ]
    const r = probe(cap, img)
    expect(r.picks).toEqual([1, 0])
    expect(r.counts).toEqual([1, 1, 0, 0, 0, 0])
    r.probs.forEach(p => expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6))
    const tones = probe(cap, img, false)
    expect(tones.picks).toEqual([1, 5])
    expect(tones.probs[1]![0]).toBe(0)
    expect(tones.counts).toEqual([0, 1, 0, 0, 0, 1])
  })
})
