/**
 * Which compute backend a demo runs on, how that choice is made, and a registry of what each demo
 * actually got (shown as a badge by the demo frame and read by the browser tests).
 */

export type Backend = 'webgpu' | 'wasm' | 'webgl' | 'cpu'
export type BackendPreference = Backend | 'auto'

export const BACKEND_LABELS: Record<Backend, string> = {
  webgpu: 'WebGPU',
  wasm: 'WASM',
  webgl: 'WebGL',
  cpu: 'CPU',
}

export interface BackendReport {
  demo: string
  backend: Backend
  /** Why this backend: e.g. "no WebGPU adapter, fell back to WASM". */
  reason: string
  /** True when the demo wanted something faster and fell back. */
  fallback: boolean
}

/**
 * Order in which backends are tried for a library, given what the page can do.
 * `preference` comes from the URL (?backend=wasm) or a demo prop; 'auto' means fastest first.
 */
export function backendOrder(
  supported: readonly Backend[],
  hasWebGPU: boolean,
  preference: BackendPreference = 'auto',
): Backend[] {
  const available = supported.filter(b => b !== 'webgpu' || hasWebGPU)
  if (preference !== 'auto' && available.includes(preference))
    return [preference, ...available.filter(b => b !== preference)]
  return available
}

/** Reads ?backend=webgpu|wasm|webgl|cpu from a URL search string. */
export function preferenceFromSearch(search: string): BackendPreference {
  const value = new URLSearchParams(search).get('backend')
  return value === 'webgpu' || value === 'wasm' || value === 'webgl' || value === 'cpu' ? value : 'auto'
}

export function pagePreference(): BackendPreference {
  return typeof location === 'undefined' ? 'auto' : preferenceFromSearch(location.search)
}

type Listener = (reports: ReadonlyMap<string, BackendReport>) => void
const reports = new Map<string, BackendReport>()
const listeners = new Set<Listener>()

export function reportBackend(report: BackendReport): void {
  reports.set(report.demo, report)
  if (typeof window !== 'undefined') {
    const w = window as unknown as { __underTheHood?: { backends: Record<string, BackendReport> } }
    w.__underTheHood ??= { backends: {} }
    w.__underTheHood.backends[report.demo] = report
  }
  for (const l of listeners) l(reports)
}

export function backendReports(): ReadonlyMap<string, BackendReport> {
  return reports
}

export function onBackendReport(listener: Listener): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}
