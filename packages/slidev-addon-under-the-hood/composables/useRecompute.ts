/**
 * Recomputing what a demo shows when its inputs change, without stale results:
 * - `useLatestSignal()` hands out a real AbortSignal per run and aborts the previous one when a newer
 *   run starts (or the view goes away), so a slow answer to an old input never overwrites a newer one;
 * - `useRecompute(source, run, { debounce })` runs `run` when `source` changes (vueuse `watchDebounced`),
 *   each run with such a signal.
 */
import { tryOnScopeDispose, watchDebounced } from '@vueuse/core'
import type { WatchSource } from 'vue'

export function useLatestSignal() {
  let latest: AbortController | undefined
  tryOnScopeDispose(() => latest?.abort())
  return {
    /** A signal for a new run; the previous run's signal is aborted. */
    next(): AbortSignal {
      latest?.abort()
      latest = new AbortController()
      return latest.signal
    },
    abort: () => latest?.abort(),
  }
}

export function useRecompute(source: WatchSource<unknown> | WatchSource<unknown>[], run: (signal: AbortSignal) => Promise<void> | void,
  { debounce = 0 }: { debounce?: number } = {}) {
  const latest = useLatestSignal()
  /** Runs now, aborting the previous run. */
  const rerun = async () => run(latest.next())
  watchDebounced(source, () => void rerun(), { debounce, deep: true })
  return { rerun }
}
