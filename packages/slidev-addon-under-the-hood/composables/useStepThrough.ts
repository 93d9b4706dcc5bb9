/**
 * A generation the audience watches step by step (text → video, text → sound): every step is kept for the
 * scrubber and shown as it comes (the browser draws between steps; all at once in print), a newer run or `cancel()`
 * makes an older one stop where it is, and a failure becomes a message instead of an exception.
 */
import { computed, ref, shallowRef } from 'vue'
import type { Ref } from 'vue'
import { errorText } from '../demos/frame/errors'
import { nextTask } from '../demos/shared/task'

export interface Step { index: number, total: number }

export function useStepThrough<S extends Step>(isPrintMode: Ref<boolean>, scrub: () => number) {
  const history = shallowRef<S[]>([])
  const running = ref(false)
  const error = ref('')
  /** Milliseconds the last finished run took. */
  const ms = ref(0)
  /** Finished runs in this window (the tests wait for the next one). */
  const made = ref(0)
  let run = 0

  /**
   * Runs `steps` (an async generator: it may prepare before its first step, and learns whether it is still
   * the current run), then `after` on the finished steps.
   */
  async function start(steps: (current: () => boolean) => AsyncIterable<S>, after?: (current: () => boolean) => Promise<void> | void): Promise<void> {
    const mine = ++run
    const current = () => mine === run
    error.value = ''
    running.value = true
    const t0 = performance.now()
    try {
      let first = true
      for await (const s of steps(current)) {
        if (!current()) return
        history.value = first ? [s] : [...history.value, s]
        first = false
        if (!isPrintMode.value) await nextTask()
      }
      if (!current()) return
      ms.value = performance.now() - t0
      await after?.(current)
      if (current()) made.value++
    }
    catch (err) {
      if (current()) error.value = `The model failed while generating: ${errorText(err)}`
    }
    finally {
      if (current()) running.value = false
    }
  }

  /** Stops the run in progress (its steps so far stay) and forgets the steps shown. */
  function clear() {
    run++
    running.value = false
    history.value = []
    error.value = ''
  }

  const finished = computed(() => !running.value && history.value.length > 0 && history.value.at(-1)!.index + 1 === history.value.at(-1)!.total)
  const shownIndex = computed(() => {
    const k = scrub()
    return k >= 0 && k < history.value.length ? k : history.value.length - 1
  })
  const step = computed(() => history.value[shownIndex.value])
  const last = computed(() => finished.value ? history.value.at(-1) : undefined)
  return { history, running, error, ms, made, start, clear, finished, shownIndex, step, last }
}
