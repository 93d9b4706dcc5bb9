import { defineAppSetup } from '@slidev/types'
import { useDarkMode } from '@slidev/client'

/**
 * Dark by default, for a dark room and a projector, unless the presenter chose otherwise (Slidev's
 * light/dark toggle is remembered) or the deck is being printed: the handout uses the light variant.
 */
export default defineAppSetup(() => {
  if (typeof window === 'undefined')
    return
  const printing = new URLSearchParams(location.search).has('print') || /\/(print|export)(\/|$)/.test(location.pathname)
  const { isDark, isColorSchemaConfigured } = useDarkMode()
  if (printing || isColorSchemaConfigured.value)
    return
  // Once per browser: afterwards the presenter's own choice (Slidev's toggle) stays.
  const KEY = 'under-the-hood-dark-default'
  if (localStorage.getItem(KEY) === null) {
    localStorage.setItem(KEY, 'applied')
    isDark.value = true
  }
})
