/**
 * The "real" data of the 2-D GAN: points the generator must learn to imitate. Seeded, so every window
 * draws the same points. The ring and the grid are mixtures of small Gaussian blobs ("modes") whose
 * centres are known, so the slide can count how many of them the generator covers.
 */
import { seededRandom } from '../shared/random'
import type { Point2 } from './engine'

export type DistributionKind = 'ring' | 'grid' | 'spiral'
export const DISTRIBUTIONS: readonly DistributionKind[] = ['ring', 'grid', 'spiral']
/** Points a person may draw as their own distribution. */
export const MAX_DRAWN = 300

export interface Distribution { points: Point2[], modes: Point2[] }

export function modesOf(kind: DistributionKind): Point2[] {
  if (kind === 'ring')
    return Array.from({ length: 8 }, (_, k) => ({ x: Math.cos(k * Math.PI / 4), y: Math.sin(k * Math.PI / 4) }))
  if (kind === 'grid')
    return [-0.8, 0, 0.8].flatMap(x => [-0.8, 0, 0.8].map(y => ({ x, y })))
  return []
}

export function makeDistribution(kind: DistributionKind, n = 512, seed = 1): Distribution {
  const rnd = seededRandom(seed)
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd())
  const modes = modesOf(kind)
  const points: Point2[] = []
  for (let i = 0; i < n; i++) {
    if (kind === 'spiral') {
      const t = Math.sqrt(rnd()) * 3 * Math.PI
      const r = t / (3 * Math.PI)
      points.push({ x: r * Math.cos(t) + gauss() * 0.03, y: r * Math.sin(t) + gauss() * 0.03 })
    }
    else {
      const m = modes[i % modes.length]!
      points.push({ x: m.x + gauss() * 0.05, y: m.y + gauss() * 0.05 })
    }
  }
  return { points, modes }
}
