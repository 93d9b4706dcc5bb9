/**
 * Small 2D data sets for the tiny network: two groups of points in the square [−1, 1]², seeded so the
 * same choice always draws the same points. Some are separable by a straight line (blobs), the others
 * need the bent boundary that a hidden layer gives (moons, circles, xor).
 */
import { seededRandom } from '../shared/random'

export interface Point { x: number, y: number, label: 0 | 1 }
export type DatasetKind = 'blobs' | 'moons' | 'circles' | 'xor'
export const DATASETS: readonly DatasetKind[] = ['blobs', 'moons', 'circles', 'xor']
/** Points a person may add by clicking, on top of a data set (the network trains on all of them). */
export const MAX_POINTS = 400

const clamp = (v: number) => Math.max(-1, Math.min(1, v))

/**
 * `perClass` points of each label. `noise` widens the moons and circles; `jitter` moves every point by
 * that much Gaussian noise more (the noise control of the overfitting slide; 0 leaves the set as it was).
 */
export function makeDataset(kind: DatasetKind, perClass = 60, seed = 1, noise = 0.08, jitter = 0): Point[] {
  const rnd = seededRandom(seed)
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd())
  const pts: Point[] = []
  for (let label = 0 as 0 | 1; label <= 1; label = (label + 1) as 0 | 1) {
    for (let i = 0; i < perClass; i++) {
      let x = 0
      let y = 0
      if (kind === 'blobs') {
        x = (label ? 0.45 : -0.45) + gauss() * 0.22
        y = (label ? 0.35 : -0.35) + gauss() * 0.22
      }
      else if (kind === 'moons') {
        const a = Math.PI * rnd()
        x = label ? 1 - Math.cos(a) : Math.cos(a)
        y = label ? 0.5 - Math.sin(a) : Math.sin(a)
        x = (x - 0.5) * 0.55 + gauss() * noise
        y = (y - 0.25) * 0.9 + gauss() * noise
      }
      else if (kind === 'circles') {
        const a = 2 * Math.PI * rnd()
        const r = (label ? 0.3 : 0.78) + gauss() * noise
        x = r * Math.cos(a)
        y = r * Math.sin(a)
      }
      else {
        const sx = rnd() < 0.5 ? -1 : 1
        const sy = label ? -sx : sx
        x = sx * (0.15 + 0.7 * rnd())
        y = sy * (0.15 + 0.7 * rnd())
      }
      if (jitter > 0) {
        x += gauss() * jitter
        y += gauss() * jitter
      }
      pts.push({ x: clamp(x), y: clamp(y), label })
    }
  }
  return pts
}
