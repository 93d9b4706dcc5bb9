/**
 * The audience's gallery: images the demos generated, with their prompt, seed and settings, kept in this
 * browser (IndexedDB), never uploaded. When the browser refuses storage (private mode, a full quota) the
 * gallery works in memory and says so. It exports as one self-contained HTML file (images inlined, the
 * items as JSON inside it) that opens offline, and imports such a file back, merging by id. Framework-free.
 */

export interface GalleryItem {
  id: string
  /** The image as a PNG or JPEG data URL. */
  image: string
  prompt: string
  /** Which demo and model made it, e.g. "micro-diffusion · reverse diffusion". */
  source: string
  seed?: number
  /** Other settings worth keeping (steps, guidance, sampler…). */
  settings: Record<string, string | number>
  /** The participant it belongs to (workshop mode), '' for none. */
  author: string
  /** When it was added (ms since 1970). */
  at: number
}

export const MAX_ITEMS = 500
const MAX_IMAGE_CHARS = 2_000_000
const MAX_TEXT = 2000

export class GalleryImportError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'GalleryImportError'
  }
}

/** A fresh id: time and randomness, unique enough for one room's gallery. */
export function newId(now = Date.now(), rnd = Math.random): string {
  return `${now.toString(36)}-${Math.floor(rnd() * 36 ** 6).toString(36).padStart(6, '0')}`
}

/** The item if every field is what the gallery stores, else a reason it is not. */
export function checkItem(v: unknown): GalleryItem | string {
  if (!v || typeof v !== 'object') return 'an entry is not an object'
  const o = v as Record<string, unknown>
  if (typeof o.id !== 'string' || !/^[\w-]{1,64}$/.test(o.id)) return 'an entry has no valid id'
  if (typeof o.image !== 'string' || !/^data:image\/(?:png|jpeg);base64,[A-Za-z0-9+/]+=*$/.test(o.image) || o.image.length > MAX_IMAGE_CHARS)
    return `entry ${o.id}: the image is not an inlined PNG or JPEG`
  for (const k of ['prompt', 'source', 'author'] as const) {
    if (typeof o[k] !== 'string' || (o[k] as string).length > MAX_TEXT) return `entry ${o.id}: "${k}" is not text`
  }
  if (o.seed !== undefined && !Number.isFinite(o.seed)) return `entry ${o.id}: the seed is not a number`
  if (typeof o.at !== 'number' || !Number.isFinite(o.at)) return `entry ${o.id}: no date`
  if (!o.settings || typeof o.settings !== 'object' || Array.isArray(o.settings)) return `entry ${o.id}: no settings`
  const settings: Record<string, string | number> = {}
  for (const [k, s] of Object.entries(o.settings as Record<string, unknown>)) {
    if ((typeof s !== 'string' && typeof s !== 'number') || k.length > 40 || String(s).length > 200) return `entry ${o.id}: a setting is not plain`
    settings[k] = s
  }
  return { id: o.id, image: o.image, prompt: o.prompt as string, source: o.source as string, author: o.author as string, seed: o.seed as number | undefined, settings, at: o.at }
}

/** The items of both, by id (an imported item replaces a stored one of the same id), oldest first. */
export function merge(existing: readonly GalleryItem[], incoming: readonly GalleryItem[]): GalleryItem[] {
  const byId = new Map(existing.map(i => [i.id, i]))
  for (const i of incoming) byId.set(i.id, i)
  return [...byId.values()].sort((a, b) => a.at - b.at)
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\'': '&#39;' })[c]!)
/** JSON that is safe inside a <script> element. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c')

/** One self-contained HTML page: every image inlined, no request to anywhere; the items ride along as JSON. */
export function exportHtml(items: readonly GalleryItem[], title = 'Under the Hood — gallery'): string {
  const cards = items.map((i) => {
    const meta = [i.author && `by ${i.author}`, i.seed !== undefined && `seed ${i.seed}`, ...Object.entries(i.settings).map(([k, v]) => `${k} ${v}`)]
      .filter(Boolean).map(t => escapeHtml(String(t))).join(' · ')
    return `<figure><img src="${i.image}" alt="${escapeHtml(i.prompt)}"><figcaption><b>${escapeHtml(i.prompt || '(no prompt)')}</b><br><small>${escapeHtml(i.source)}${meta ? ` · ${meta}` : ''}</small></figcaption></figure>`
  }).join('\n')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; background: #fafafa; color: #1d1d1f; }
main { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 1rem; }
figure { margin: 0; background: #fff; border: 1px solid #ddd; border-radius: 8px; padding: 0.6rem; }
img { width: 100%; image-rendering: pixelated; border-radius: 4px; }
small { color: #666; }
</style></head>
<body><h1>${escapeHtml(title)}</h1>
<p>${items.length} image${items.length === 1 ? '' : 's'}, made live by small models running in a browser. This file needs no network.</p>
<main>
${cards}
</main>
<script type="application/json" id="under-the-hood-gallery">${scriptJson({ version: 1, items })}</script>
</body></html>
`
}

/** The items of an exported gallery file (or of its JSON); refuses anything else, explaining why. */
export function parseGalleryFile(text: string): GalleryItem[] {
  const m = /<script type="application\/json" id="under-the-hood-gallery">([\s\S]*?)<\/script>/.exec(text)
  const json = m ? m[1]! : text.trim()
  let data: unknown
  try {
    data = JSON.parse(json)
  }
  catch {
    throw new GalleryImportError('This file is not a gallery exported by this deck (no gallery data in it).')
  }
  const items = (data as { version?: unknown, items?: unknown })?.items
  if ((data as { version?: unknown })?.version !== 1 || !Array.isArray(items))
    throw new GalleryImportError('This file is not a gallery exported by this deck (unknown format).')
  if (items.length > MAX_ITEMS)
    throw new GalleryImportError(`This gallery has ${items.length} images; at most ${MAX_ITEMS} can be imported.`)
  const out: GalleryItem[] = []
  for (const v of items) {
    const r = checkItem(v)
    if (typeof r === 'string') throw new GalleryImportError(`This gallery file is damaged (${r}); nothing was imported.`)
    out.push(r)
  }
  return out
}

/** Where the items live. */
export interface GalleryStorage {
  readonly kind: 'browser' | 'memory'
  list: () => Promise<GalleryItem[]>
  put: (items: readonly GalleryItem[]) => Promise<void>
  remove: (id: string) => Promise<void>
  clear: () => Promise<void>
}

export function memoryStorage(initial: readonly GalleryItem[] = []): GalleryStorage {
  const items = new Map(initial.map(i => [i.id, i]))
  return {
    kind: 'memory',
    list: async () => [...items.values()].sort((a, b) => a.at - b.at),
    put: async (add) => { for (const i of add) items.set(i.id, i) },
    remove: async (id) => { items.delete(id) },
    clear: async () => items.clear(),
  }
}

const DB = 'under-the-hood-gallery'
const STORE = 'items'

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result)
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'))
  })
}

/** IndexedDB storage; rejects when the browser refuses it (the caller falls back to memory). */
export async function browserStorage(idb: IDBFactory): Promise<GalleryStorage> {
  const open = idb.open(DB, 1)
  open.onupgradeneeded = () => open.result.createObjectStore(STORE, { keyPath: 'id' })
  const db = await request(open)
  const tx = (mode: IDBTransactionMode) => db.transaction(STORE, mode).objectStore(STORE)
  const done = (t: IDBTransaction) => new Promise<void>((resolve, reject) => {
    t.oncomplete = () => resolve()
    t.onerror = () => reject(t.error ?? new Error('IndexedDB transaction failed'))
    t.onabort = () => reject(t.error ?? new Error('IndexedDB transaction aborted (is the storage quota full?)'))
  })
  return {
    kind: 'browser',
    list: async () => (await request(tx('readonly').getAll()) as GalleryItem[]).sort((a, b) => a.at - b.at),
    put: async (items) => {
      const store = tx('readwrite')
      for (const i of items) store.put(i)
      await done(store.transaction)
    },
    remove: async (id) => {
      const store = tx('readwrite')
      store.delete(id)
      await done(store.transaction)
    },
    clear: async () => {
      const store = tx('readwrite')
      store.clear()
      await done(store.transaction)
    },
  }
}
