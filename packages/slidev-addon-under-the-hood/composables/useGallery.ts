/**
 * The gallery of this browser, shared by every view that adds to it or shows it (one copy per window).
 * Windows of one browser share the stored items; a change in one tells the others to reload (a
 * BroadcastChannel). Storage is IndexedDB when the browser allows it, memory otherwise (with a message).
 */
import { useLocalStorage } from '@vueuse/core'
import { ref, shallowRef } from 'vue'
import type { GalleryItem, GalleryStorage } from '../demos/gallery/store'
import { browserStorage, exportHtml, memoryStorage, merge, newId, parseGalleryFile } from '../demos/gallery/store'

const items = shallowRef<GalleryItem[]>([])
const kind = ref<'browser' | 'memory' | ''>('')
const message = ref('')
let storage: Promise<GalleryStorage> | undefined
let channel: BroadcastChannel | undefined

const REFUSED = 'This browser keeps no gallery here (private mode, or storage refused): images stay in memory until this page closes. Export to keep them.'

function open(): Promise<GalleryStorage> {
  storage ??= (async () => {
    try {
      if (typeof indexedDB === 'undefined') throw new Error('no IndexedDB')
      return await browserStorage(indexedDB)
    }
    catch {
      message.value = REFUSED
      return memoryStorage()
    }
  })().then((s) => {
    kind.value = s.kind
    return s
  })
  return storage
}

async function refresh(): Promise<void> {
  items.value = await (await open()).list()
}

function changed() {
  channel?.postMessage('changed')
}

/** Writes items; when the browser refuses (quota full), carries on in memory with everything so far. */
async function put(add: readonly GalleryItem[]): Promise<void> {
  const s = await open()
  try {
    await s.put(add)
  }
  catch {
    message.value = 'The browser\'s storage is full: the gallery carries on in memory until this page closes. Export to keep it.'
    const mem = memoryStorage(merge(items.value, add))
    storage = Promise.resolve(mem)
    kind.value = 'memory'
  }
  await refresh()
  changed()
}

export function useGallery() {
  if (!channel && typeof BroadcastChannel !== 'undefined') {
    channel = new BroadcastChannel('under-the-hood-gallery')
    channel.onmessage = () => void refresh()
  }
  /** Whose images are being added (workshop mode): kept in this browser. */
  const author = useLocalStorage('under-the-hood:gallery-author', '')
  return {
    items,
    /** 'browser' (IndexedDB) or 'memory'. */
    kind,
    message,
    author,
    refresh,
    async add(item: Omit<GalleryItem, 'id' | 'at' | 'author'>): Promise<GalleryItem> {
      const full: GalleryItem = { ...item, id: newId(), at: Date.now(), author: author.value.trim().slice(0, 80) }
      await put([full])
      return full
    },
    async remove(id: string): Promise<void> {
      await (await open()).remove(id)
      await refresh()
      changed()
    },
    async clear(): Promise<void> {
      await (await open()).clear()
      await refresh()
      changed()
    },
    /** Merges an exported gallery file; throws GalleryImportError (nothing changed) when it is not one. */
    async importFile(text: string): Promise<number> {
      const incoming = parseGalleryFile(text)
      await put(incoming)
      return incoming.length
    },
    exportHtml: (title?: string) => exportHtml(items.value, title),
  }
}
