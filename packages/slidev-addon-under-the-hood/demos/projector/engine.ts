/**
 * Embedding projector engine: 128-d text embeddings → 3D (PCA with ml-pca, or UMAP with umap-js, seeded),
 * cosine nearest neighbours, a vector-arithmetic example that the engine finds in the model's own space,
 * and how much a style word ("cinematic", "beautiful") moves a prompt. No DOM, no Vue.
 */
import { PCA } from 'ml-pca'
import { UMAP } from 'umap-js'
import { seededRandom } from '../shared/random'

export interface Item { text: string, group: string, vector: Float32Array }
export type Method = 'pca' | 'umap'

export function unit(v: ArrayLike<number>): Float32Array {
  let s = 0
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!
  const n = Math.sqrt(s) || 1
  return Float32Array.from(v, x => x / n)
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    d += a[i]! * b[i]!
    na += a[i]! * a[i]!
    nb += b[i]! * b[i]!
  }
  return d / (Math.sqrt(na * nb) || 1)
}

/** The k items closest to `query` by cosine similarity, skipping `exclude` texts. */
export function nearest(query: ArrayLike<number>, items: Item[], k = 8, exclude: string[] = []): { item: Item, sim: number }[] {
  return items
    .filter(it => !exclude.includes(it.text))
    .map(item => ({ item, sim: cosine(query, item.vector) }))
    .sort((a, b) => b.sim - a.sim)
    .slice(0, k)
}

/** Centres each axis and scales all by one factor so the points fill [-1, 1] (shape kept). */
export function fitCube(points: number[][]): number[][] {
  return cube(points).points
}

function cube(points: number[][]): { points: number[][], mid: number[], span: number } {
  const dims = points[0]?.length ?? 0
  let span = 1e-9
  const mid: number[] = []
  for (let d = 0; d < dims; d++) {
    const vals = points.map(p => p[d]!)
    const lo = Math.min(...vals)
    const hi = Math.max(...vals)
    mid.push((lo + hi) / 2)
    span = Math.max(span, (hi - lo) / 2)
  }
  return { points: points.map(p => p.map((v, d) => (v - mid[d]!) / span)), mid, span }
}

export interface Projection { points: number[][], explained?: number[], place: (v: ArrayLike<number>) => number[] }

/** PCA to 3D: also returns how to place a new vector in the same view. */
export function pca3(vectors: ArrayLike<number>[]): Projection {
  const rows = vectors.map(v => Array.from(v))
  const pca = new PCA(rows, { center: true, scale: false })
  const raw = pca.predict(rows, { nComponents: 3 }).to2DArray()
  const { points, mid, span } = cube(raw)
  return {
    points,
    explained: pca.getExplainedVariance().slice(0, 3),
    place: v => pca.predict([Array.from(v)], { nComponents: 3 }).to2DArray()[0]!.map((x, d) => (x - mid[d]!) / span),
  }
}

/**
 * UMAP to 3D (cosine distance, seeded). Runs epoch by epoch and yields to the page between epochs;
 * a new vector is placed at the mean of its 3 nearest neighbours' positions.
 */
export async function umap3(vectors: ArrayLike<number>[], seed = 42, onEpoch?: (e: number, n: number) => void): Promise<Projection> {
  const rows = vectors.map(v => Array.from(v))
  const u = new UMAP({ nComponents: 3, nNeighbors: Math.min(12, rows.length - 1), minDist: 0.15, distanceFn: (a, b) => 1 - cosine(a, b), random: seededRandom(seed) })
  const n = u.initializeFit(rows)
  for (let e = 0; e < n; e++) {
    u.step()
    if (e % 25 === 0) {
      onEpoch?.(e, n)
      await new Promise(r => setTimeout(r, 0))
    }
  }
  const points = fitCube(u.getEmbedding())
  return {
    points,
    place: (v) => {
      const near = rows.map((r, i) => ({ i, s: cosine(v, r) })).sort((a, b) => b.s - a.s).slice(0, 3)
      return [0, 1, 2].map(d => near.reduce((s, x) => s + points[x.i]![d]!, 0) / near.length)
    },
  }
}

export interface Analogy { a: string, b: string, c: string, d: string, sim: number, rank: number }

/**
 * Searches the embedded phrases for arithmetic that works in this model: a − b + c lands nearest to d
 * (a, b, c excluded), where a is "b <rest>" and d is "c <rest>", i.e. swapping one word of a phrase by
 * vector arithmetic. Returns every such analogy found, best (highest similarity) first.
 */
export function findAnalogies(items: Item[]): Analogy[] {
  const byText = new Map(items.map(it => [it.text, it]))
  const out: Analogy[] = []
  for (const a of items) {
    const words = a.text.split(' ')
    if (words.length !== 2) continue
    const [b, rest] = [words[0]!, words[1]!]
    const bi = byText.get(b)
    if (!bi) continue
    for (const c of items) {
      if (c.group !== bi.group || c.text === b || c.text.includes(' ')) continue
      const target = `${c.text} ${rest}`
      if (!byText.has(target)) continue
      const q = a.vector.map((x, i) => x - bi.vector[i]! + c.vector[i]!)
      const ranked = nearest(q, items, 5, [a.text, b, c.text])
      const rank = ranked.findIndex(r => r.item.text === target)
      if (rank === 0) out.push({ a: a.text, b, c: c.text, d: target, sim: ranked[0]!.sim, rank })
    }
  }
  return out.sort((x, y) => y.sim - x.sim)
}

/** Colour × object phrases that are emoji names or close to them: the space where the search runs. */
export const ANALOGY_PHRASES = (() => {
  const colours = ['red', 'orange', 'yellow', 'green', 'blue', 'purple', 'brown', 'black', 'white']
  const things = ['heart', 'circle', 'square', 'apple', 'book', 'car']
  return colours.flatMap(c => things.map(t => `${c} ${t}`))
})()

export interface StyleShift { word: string, prompt: string, moved: number, scores: number[], base: number[] }

/**
 * How far a style word moves a prompt: 1 − cos(prompt, "word prompt") in embedding space, and the CLIP
 * score of both against a set of image embeddings.
 */
export function styleShift(word: string, prompt: string, base: ArrayLike<number>, styled: ArrayLike<number>, images: ArrayLike<number>[]): StyleShift {
  return {
    word,
    prompt: `${word} ${prompt}`,
    moved: 1 - cosine(base, styled),
    base: images.map(im => cosine(base, im)),
    scores: images.map(im => cosine(styled, im)),
  }
}

export function parseEmbeddings(json: unknown): Item[] {
  const d = json as { items?: { text?: unknown, group?: unknown, vector?: unknown }[] }
  if (!d || !Array.isArray(d.items) || !d.items.length)
    throw new Error('embeddings.json has no items')
  return d.items.map((it, i) => {
    if (typeof it.text !== 'string' || !Array.isArray(it.vector))
      throw new Error(`embeddings.json: item ${i} is malformed`)
    return { text: it.text, group: String(it.group ?? 'other'), vector: unit(it.vector as number[]) }
  })
}
