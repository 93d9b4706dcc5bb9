/**
 * The 2-D GAN engine: its losses are the formulas of Goodfellow et al. on a fixed batch; a run replays
 * exactly from its script; the balanced setting covers the ring's modes and the collapse setting does
 * not; a loss that stops being a number is reported.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { loadTfNode } from '../../packages/slidev-addon-under-the-hood/demos/runtime/node'
import { makeDistribution, modesOf } from '../../packages/slidev-addon-under-the-hood/demos/gan2d/data'
import { Gan2d, gaussians, modeCoverage, SETTINGS } from '../../packages/slidev-addon-under-the-hood/demos/gan2d/engine'
import type { Segment } from '../../packages/slidev-addon-under-the-hood/demos/gan2d/run'
import { extend, GanDivergedError, GanRun } from '../../packages/slidev-addon-under-the-hood/demos/gan2d/run'
import { seededRandom } from '../../packages/slidev-addon-under-the-hood/demos/shared/random'

let tf: Awaited<ReturnType<typeof loadTfNode>>
beforeAll(async () => {
  tf = await loadTfNode()
})

const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length

describe('2-D GAN', () => {
  it('computes D\'s and G\'s losses as the formulas say, on a fixed batch', () => {
    const { points } = makeDistribution('ring', 64, 3)
    const gan = new Gan2d(tf, points, SETTINGS.balanced, 4)
    for (let i = 0; i < 5; i++) { gan.trainD(); gan.trainG() } // not at the initial weights only
    const xs = Float32Array.from(points.slice(0, 32).flatMap(p => [p.x, p.y]))
    const zs = gaussians(seededRandom(11), 64)
    const pReal = gan.discriminate(xs)
    const pFake = gan.discriminate(gan.generate(zs))
    const dFormula = -mean(Array.from(pReal, Math.log)) - mean(Array.from(pFake, p => Math.log(1 - p)))
    const gFormula = -mean(Array.from(pFake, Math.log))
    const x = tf.tensor2d(xs, [32, 2])
    const z = tf.tensor2d(zs, [32, 2])
    const got = gan.losses(x, z)
    expect(got.d).toBeCloseTo(dFormula, 5)
    expect(got.g).toBeCloseTo(gFormula, 5)
    x.dispose()
    z.dispose()
    gan.dispose()
  })

  it('replays a script to exactly the same generator, in one go or bit by bit', async () => {
    const spec = { distribution: 'grid' as const, drawn: [], setting: 'balanced' as const }
    let script: Segment[] = []
    const a = new GanRun(tf, spec)
    for (const [kind, n] of [['play', 25], ['D', 3], ['G', 2], ['play', 10]] as const) {
      a.run(kind, n)
      script = extend(script, kind, n)
    }
    expect(a.done).toEqual(script)
    const b = new GanRun(tf, spec)
    b.run('play', 7) // ahead on the same path: carries on
    expect(b.canReach(script)).toBe(true)
    await b.replayTo(script)
    expect(b.step).toBe(a.step)
    expect(Array.from(b.samples())).toEqual(Array.from(a.samples()))
    const c = new GanRun(tf, spec)
    c.run('G', 1) // another path: cannot carry on
    expect(c.canReach(script)).toBe(false)
    for (const r of [a, b, c]) r.dispose()
  })

  it('the balanced setting covers most of the ring; the collapse setting piles onto few modes', () => {
    const covered = (setting: 'balanced' | 'collapse', steps: number) => {
      const run = new GanRun(tf, { distribution: 'ring', drawn: [], setting })
      run.run('play', steps)
      const c = run.coverage()!
      run.dispose()
      return c.covered
    }
    expect(covered('balanced', 500)).toBeGreaterThanOrEqual(6)
    expect(covered('collapse', 500)).toBeLessThanOrEqual(2)
  })

  it('counts modes: all samples on one centre cover one mode', () => {
    const modes = modesOf('ring')
    const one = Float32Array.from({ length: 200 }, (_, i) => (i % 2 ? modes[0]!.y : modes[0]!.x))
    expect(modeCoverage(one, modes)).toEqual({ covered: 1, quality: 1 })
  })

  it('says so when a loss stops being a number', () => {
    const run = new GanRun(tf, { distribution: 'drawn', drawn: [{ x: Number.NaN, y: 0 }, { x: 0.5, y: Number.NaN }], setting: 'balanced' })
    expect(() => run.run('play', 1)).toThrow(GanDivergedError)
    run.dispose()
  })
})
