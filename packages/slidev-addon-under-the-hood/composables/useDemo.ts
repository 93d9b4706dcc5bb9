/**
 * What every live demo view shares, declared once:
 *
 *   const demo = useDemo('reverse-diffusion', { state: () => ({ prompt: 'red apple', seed: 1 }), load })
 *
 * - `demo.ui` holds the controls. They are synced between the windows of a talk (presenter view,
 *   audience window, remote), restored by Reset, and are what the print/export renders.
 * - `demo.action(name, fn)` is a button that every window runs (Generate, Step, Train…).
 * - `demo.state` is this window's frame state (loading, ready, error, backend badge): never synced, so a
 *   model that fails in one window shows its error there only.
 * - The model loads when the slide is shown live or printed; a next-slide preview and the overview
 *   render the static state and load nothing.
 * - Whatever a load or a button throws becomes the frame's error state, never an uncaught error.
 */
import { useIsSlideActive, useNav, useSlideContext } from '@slidev/client'
import { computed, onScopeDispose, reactive, ref, watch } from 'vue'
import { initialState, reduce } from '../demos/frame/state'
import type { DemoEvent } from '../demos/frame/state'
import { onBackendReport } from '../demos/runtime/backends'
import { demoSync, localState } from './demoSync'
import { useRecompute } from './useRecompute'

export interface DemoOptions<S extends Record<string, unknown>> {
  /** The demo's controls and their starting values. */
  state?: () => S
  /** Loads the models and computes the first view (and, when printing, the print state). */
  load: () => Promise<void> | void
  /** Clears what the demo computed; every window runs it when Reset is pressed in one. */
  onReset?: () => void
}

/** Where a slide copy is rendered that may compute: the slide itself, the presenter's current slide. */
const LIVE_CONTEXTS = new Set(['slide', 'presenter'])

export function useDemo<S extends Record<string, unknown> = Record<string, never>>(demoId: string, options: DemoOptions<S>) {
  const defaults = options.state ?? (() => ({}) as S)
  const state = reactive(initialState())
  const dispatch = (e: DemoEvent) => Object.assign(state, reduce(state, e))
  onScopeDispose(onBackendReport((r) => {
    const b = r.get(demoId)
    if (b) dispatch({ type: 'backend', backend: b.backend, reason: b.reason, fallback: b.fallback, note: b.note })
  }))

  const { $page, $renderContext } = useSlideContext()
  const active = useIsSlideActive()
  const { isPrintMode } = useNav()
  const computes = isPrintMode.value || LIVE_CONTEXTS.has(String($renderContext.value))
  /** True while this copy of the demo is the one on screen (or being printed). */
  const live = computed(() => computes && (isPrintMode.value || active.value))
  const sync = isPrintMode.value ? localState(defaults) : demoSync(`${$page.value}:${demoId}`, defaults)
  const printReady = ref(false)

  const guard = (work: () => Promise<void> | void): Promise<void> => Promise.resolve()
    .then(work)
    .catch((err) => { dispatch({ type: 'fail', error: err }) })

  const runLoad = () => guard(options.load)
  // Deferred by a microtask: the view's `load` may use what this function returns.
  watch(live, (go) => {
    if (go) queueMicrotask(() => { if (state.phase === 'idle') void runLoad() })
  }, { immediate: true })

  /** A button every window runs. Only the copies that compute listen; previews stay still. */
  function action(name: string, fn: () => Promise<void> | void): () => void {
    if (computes) onScopeDispose(sync.on(name, () => void guard(fn)))
    return () => sync.press(name)
  }

  /** Recomputes when `source` changes (debounced, stale runs aborted); a failure becomes the frame's error. */
  function recompute(source: Parameters<typeof useRecompute>[0], run: (signal: AbortSignal) => Promise<void> | void, opts?: { debounce?: number }) {
    return useRecompute(source, signal => guard(() => run(signal)), opts)
  }

  const reset = action('reset', () => {
    options.onReset?.()
    if (state.phase === 'error') {
      dispatch({ type: 'reset' })
      void runLoad()
    }
  })

  return {
    id: demoId,
    /** This window's frame state (for `<DemoFrame :state>`). */
    state,
    dispatch,
    /** The synced controls. */
    ui: sync.ui as S,
    action,
    recompute,
    /** Reset in every window: controls back to their starting values, results cleared, a failed load retried. */
    reset: () => {
      Object.assign(sync.ui, defaults())
      reset()
    },
    live,
    isPrintMode,
    /** Set when the print state is computed: the exporter waits for it. */
    printReady,
  }
}
