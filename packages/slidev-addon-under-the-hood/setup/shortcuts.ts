import { defineShortcutsSetup } from '@slidev/types'

/**
 * One press of a key or a clicker moves one step, even when the page is busy.
 *
 * Slidev repeats a navigation key on a timer (after 1 s, then faster) for as long as it believes the
 * key is down. When the new slide keeps the page busy past that second (a demo loading its model), the
 * key's release is handled after the timer, and a single press moves two slides. Here a timed repeat
 * goes through only if the browser has reported the key as held (a keydown with `repeat` set, which a
 * held key sends and a press does not), so holding a key still runs through the slides.
 */
export default defineShortcutsSetup((_nav, base) => {
  let pressed = false
  let held = false
  window.addEventListener('keydown', (e) => {
    if (e.repeat)
      held = true
    else
      [pressed, held] = [true, false]
  }, { capture: true })
  window.addEventListener('keyup', () => {
    held = false
  }, { capture: true })
  const once = (fn: () => void) => () => {
    if (!pressed && !held)
      return
    pressed = false
    fn()
  }
  return base.map(s => s.autoRepeat && s.fn ? { ...s, fn: once(s.fn) } : s)
})
