import { defineRootSetup } from '@slidev/types'
import { useNav } from '@slidev/client'
import { watch } from 'vue'
import { watchPrintGates } from './printGate'

/**
 * In print mode, opens the print gates when the handout is complete (setup/printGate.ts).
 * Exposes navigation as window.__underTheHood.nav so the browser tests, the benchmark and the
 * contact sheet can tell which slide is showing and go to one (Slidev only does this in dev).
 */
export default defineRootSetup(() => {
  const nav = useNav()
  const w = window as unknown as { __underTheHood?: Record<string, unknown> }
  w.__underTheHood ??= { backends: {} }
  w.__underTheHood.nav = {
    get total() { return nav.total.value },
    get current() { return nav.currentSlideNo.value },
    get clicks() { return nav.clicks.value },
    get clicksTotal() { return nav.clicksTotal.value },
    get isPrint() { return nav.isPrintMode.value },
    go: (no: number, clicks = 0) => nav.go(no, clicks),
  }
  let stopGates: (() => void) | undefined
  watch(nav.isPrintMode, (print) => {
    if (print) stopGates ??= watchPrintGates(document, () => nav.total.value)
  }, { immediate: true })
  // `npm run bench` opens the deck with ?bench and calls these engine timings (loaded only then).
  if (new URLSearchParams(location.search).has('bench'))
    w.__underTheHood.bench = () => import('../demos/bench/run')
})
