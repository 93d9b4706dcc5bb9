/**
 * The images shipped with the deck that demos offer as presets: Noto emoji (the addon's images/emoji, see its
 * CREDITS.md) and two CC0 photographs served from @stdlib packages (vite.config.ts). `name` is the emoji's
 * own name (what micro-CLIP was trained on), `short` a label for buttons and menus.
 */
import type { Crop } from './decode'

export interface ImagePreset { short: string, name: string, file: string, crop?: Crop }

const emoji = (short: string, name: string, code: string): ImagePreset => ({ short, name, file: `emoji/${code}.png` })

export const APPLE = emoji('red apple', 'red apple', '1f34e')
export const PANDA = emoji('panda', 'panda face', '1f43c')
export const WHALE = emoji('whale', 'spouting whale', '1f433')
export const CAMERA = emoji('movie camera', 'movie camera', '1f3a5')
export const SUNRISE = emoji('sunrise', 'sunrise', '1f305')
export const CASTLE = emoji('castle', 'castle', '1f3f0')
export const CHAIR = emoji('chair', 'chair', '1fa91')
/** One frame of Muybridge's *Animal Locomotion* plate of a house cat (1887). */
export const MUYBRIDGE_CAT: ImagePreset = { short: 'cat', name: 'cat', file: 'photos/muybridge-cat.jpg', crop: [35, 5, 120] }
/** Fédèle Azari, *Airplane* (c. 1929). */
export const AIRPLANE: ImagePreset = { short: 'airplane', name: 'airplane', file: 'photos/airplane.jpg' }

/** The six emoji the image demos start from. */
export const EMOJI_PRESETS = [APPLE, PANDA, WHALE, CAMERA, SUNRISE, CASTLE]

export function presetUrl(p: ImagePreset, base: string = import.meta.env.BASE_URL): string {
  return `${base}images/${p.file}`
}
