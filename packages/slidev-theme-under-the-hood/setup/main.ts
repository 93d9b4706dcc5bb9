import { defineAppSetup } from '@slidev/types'
import { useDarkMode } from '@slidev/client'
import { watch } from 'vue'

/** The deck is being printed (the exporter's `?print`, Slidev's print and export pages). */
export function isPrinting(): boolean {
  return new URLSearchParams(location.search).has('print') || /\/(print|export)(\/|$)/.test(location.pathname)
}

/**
 * Dark by default, for a dark room and a projector, unless the presenter chose otherwise (Slidev's
 * light/dark toggle is remembered). A printed handout is always light, whatever the screen shows.
 */
export default defineAppSetup(() => {
  if (typeof window === 'undefined')
    return
  const { isDark, isColorSchemaConfigured } = useDarkMode()
  if (isPrinting()) {
    // Slidev sets html.dark from the stored choice; paper gets the light variant without changing that choice.
    watch(isDark, () => queueMicrotask(() => {
      document.documentElement.classList.remove('dark')
      document.documentElement.classList.add('light')
    }), { immediate: true })
    return
  }
  if (isColorSchemaConfigured.value)
    return
  // Once per browser: afterwards the presenter's own choice (Slidev's toggle) stays.
  const KEY = 'under-the-hood-dark-default'
  if (localStorage.getItem(KEY) === null) {
    localStorage.setItem(KEY, 'applied')
    isDark.value = true
  }
})
