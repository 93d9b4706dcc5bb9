/**
 * What every live demo view does the same way: the frame state, the backend badge fed from the
 * runtime's reports, and loading when its slide becomes active (or when the deck is printed).
 * Views stay thin: they call `useDemo(id, load)` and render.
 */
import { useIsSlideActive, useNav } from '@slidev/client'
import { onUnmounted, reactive, watch } from 'vue'
import { initialState, reduce } from '../demos/frame/state'
import type { DemoEvent } from '../demos/frame/state'
import { onBackendReport } from '../demos/runtime/backends'

export function useDemo(demoId: string, load: () => Promise<void> | void) {
  const state = reactive(initialState())
  const dispatch = (e: DemoEvent) => Object.assign(state, reduce(state, e))
  const stop = onBackendReport((r) => {
    const b = r.get(demoId)
    if (b) dispatch({ type: 'backend', backend: b.backend, reason: b.reason, fallback: b.fallback })
  })
  onUnmounted(stop)
  const active = useIsSlideActive()
  const { isPrintMode } = useNav()
  // Deferred by a microtask: the view's `load` may use what this function returns.
  watch(() => active.value || isPrintMode.value, (go) => {
    if (go) queueMicrotask(() => { if (state.phase === 'idle') load() })
  }, { immediate: true })
  /** Back to idle after an error and load again (the frame's reset button). */
  const retry = () => {
    if (state.phase === 'error') {
      dispatch({ type: 'reset' })
      load()
    }
  }
  return { state, dispatch, active, isPrintMode, retry }
}
