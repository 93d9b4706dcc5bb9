import { beforeAll, describe, expect, it } from 'vitest'
import { loadTfNode } from '../../packages/slidev-addon-under-the-hood/demos/runtime/node'
import { DATASETS, makeDataset } from '../../packages/slidev-addon-under-the-hood/demos/tinynet/data'
import { TinyNet } from '../../packages/slidev-addon-under-the-hood/demos/tinynet/engine'
import { TrainingRun } from '../../packages/slidev-addon-under-the-hood/demos/tinynet/run'

let tf: Awaited<ReturnType<typeof loadTfNode>>
beforeAll(async () => {
  tf = await loadTfNode()
})

describe('tiny network data', () => {
  it('draws the same points for a seed, two balanced groups inside the square', () => {
    for (const kind of DATASETS) {
      const a = makeDataset(kind, 50, 3)
      expect(a).toEqual(makeDataset(kind, 50, 3))
      expect(a).not.toEqual(makeDataset(kind, 50, 4))
      expect(a.filter(p => p.label === 1)).toHaveLength(50)
      expect(a.every(p => Math.abs(p.x) <= 1 && Math.abs(p.y) <= 1)).toBe(true)
    }
  })
})

describe('tiny network training (tfjs, CPU backend)', () => {
  it('learns moons: the loss falls and the points end up on the right side', async () => {
    const net = new TinyNet(tf, { hidden: 8, seed: 2 })
    net.setData(makeDataset('moons', 60, 1))
    const first = await net.train(1)
    const last = await net.train(600)
    expect(last.step).toBe(601)
    expect(last.loss).toBeLessThan(first.loss / 3)
    expect(last.accuracy).toBeGreaterThanOrEqual(0.95)
    net.dispose()
  })

  it('needs its hidden layer for circles: one hidden unit cannot separate them, eight can', async () => {
    const acc = async (hidden: number) => {
      const net = new TinyNet(tf, { hidden, seed: 1 })
      net.setData(makeDataset('circles', 60, 1))
      const r = await net.train(400)
      net.dispose()
      return r.accuracy
    }
    expect(await acc(1)).toBeLessThan(0.8)
    expect(await acc(8)).toBeGreaterThanOrEqual(0.95)
  })

  it('is reproducible for a seed, and its grid and weights are what it predicts with', async () => {
    const run = async () => {
      const net = new TinyNet(tf, { hidden: 4, seed: 5 })
      net.setData(makeDataset('xor', 30, 2))
      await net.train(50)
      const out = { w: net.weights(), g: Array.from(await net.grid(8)) }
      net.dispose()
      return out
    }
    const a = await run()
    expect(await run()).toEqual(a)
    expect(a.w.w1).toHaveLength(2)
    expect(a.w.w1[0]).toHaveLength(4)
    expect(a.g).toHaveLength(64)
    // the grid is the network's own output: recompute one cell by hand from the weights
    const cell = (r: number, c: number) => {
      const x = -1 + (2 * c + 1) / 8
      const y = 1 - (2 * r + 1) / 8
      const h = a.w.b1.map((b, j) => Math.tanh(x * a.w.w1[0]![j]! + y * a.w.w1[1]![j]! + b))
      const z = h.reduce((s, v, j) => s + v * a.w.w2[j]!, a.w.b2)
      return 1 / (1 + Math.exp(-z))
    }
    expect(a.g[3 * 8 + 5]).toBeCloseTo(cell(3, 5), 5)
  })

  it('keeps its weights when points are added, and refuses to train on nothing', async () => {
    const net = new TinyNet(tf, { seed: 1 })
    net.setData(makeDataset('blobs', 20, 1))
    await net.train(100)
    const before = net.weights()
    net.setData([...makeDataset('blobs', 20, 1), { x: 0.9, y: -0.9, label: 1 }])
    expect(net.weights()).toEqual(before)
    expect(net.step).toBe(100)
    net.setData([])
    await expect(net.train(1)).rejects.toThrow(/no points/)
    expect(() => new TinyNet(tf, { hidden: 0 })).toThrow(/hidden units/)
    net.dispose()
  })
})

describe('a training run replayed in another window (demos/tinynet/run.ts)', () => {
  it('reaches the same network by carrying on or by replaying from the seed, with clicked points at their steps', async () => {
    const added = [{ x: 0.5, y: 0.5, label: 1 as const, at: 7 }, { x: -0.2, y: 0.1, label: 0 as const, at: 23 }]
    // The window that trained live: one step per frame, points taken in at the step they were clicked.
    const live = new TrainingRun(tf, { dataset: 'moons', hidden: 4 })
    for (let s = 0; s < 40; s++) {
      live.take(added.filter(p => p.at <= live.step))
      await live.train(1)
    }
    // Another window catching up from step 0, and one that had run ahead (it must start again).
    const replay = new TrainingRun(tf, { dataset: 'moons', hidden: 4 })
    expect(replay.canReach(40, added)).toBe(true)
    await replay.trainTo(40, added)
    const ahead = new TrainingRun(tf, { dataset: 'moons', hidden: 4 })
    await ahead.train(45)
    expect(ahead.canReach(40, added)).toBe(false)
    // A window that took a point in late cannot carry on either.
    const late = new TrainingRun(tf, { dataset: 'moons', hidden: 4 })
    await late.train(10)
    late.take(added.slice(0, 1))
    expect(late.canReach(40, added)).toBe(false)

    expect(replay.step).toBe(40)
    expect(replay.points).toEqual(live.points)
    const [a, b] = [live.weights(), replay.weights()]
    expect(b.w1.flat().map((v, i) => Math.abs(v - a.w1.flat()[i]!))).toSatisfy((d: number[]) => Math.max(...d) < 1e-5)
    expect(Math.abs(b.b2 - a.b2)).toBeLessThan(1e-5)
    expect(Array.from(await replay.boundary(8))).toEqual(Array.from(await live.boundary(8)))
    for (const r of [live, replay, ahead, late]) r.dispose()
  })
})

describe('overfitting vs generalisation', () => {
  it('leaves the data sets as they were when no extra noise is asked for', () => {
    for (const kind of DATASETS)
      expect(makeDataset(kind, 60, 1, 0.08, 0)).toEqual(makeDataset(kind, 60, 1))
  })

  it('few noisy points and many units: training loss falls while validation loss turns up', async () => {
    const run = new TrainingRun(tf, { dataset: 'moons', hidden: 64, size: 10, jitter: 0.3 })
    expect(run.points).toHaveLength(20)
    expect(run.validation).toHaveLength(200)
    await run.trainTo(1000, [])
    const since = run.overfitSince()
    expect(since).not.toBeNull()
    expect(since!.step).toBeLessThan(1000)
    expect(run.loss!).toBeLessThan(0.05)
    expect(run.valLoss!).toBeGreaterThan(since!.loss * 1.5)
    run.dispose()
  })

  it('plenty of clean points and a small network: no overfitting, validation close to training', async () => {
    const run = new TrainingRun(tf, { dataset: 'moons', hidden: 4, size: 150, jitter: 0 })
    await run.trainTo(600, [])
    expect(run.overfitSince()).toBeNull()
    expect(Math.abs(run.valLoss! - run.loss!)).toBeLessThan(0.1)
    run.dispose()
  })
})
