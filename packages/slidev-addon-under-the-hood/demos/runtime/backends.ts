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
  /** A few words for the badge when the choice needs explaining (e.g. a software GPU was passed over). */
  note?: string
}

/** What the page's WebGPU offers, as far as the choice of backend is concerned (demos/runtime/webgpu.ts). */
export interface GpuOffer {
  available: boolean
  /** A software adapter (SwiftShader in a VM, a blocklisted GPU): correct, but far slower than WASM. */
  fallbackAdapter?: boolean
}

/**
 * Order in which backends are tried for a library, given what the page can do.
 * `preference` comes from the URL (?backend=wasm) or a demo prop; 'auto' means fastest first, and a
 * software WebGPU adapter counts as slowest (measured here: a diffusion step 5.4 s on it, 40 ms on WASM).
 */
export function backendOrder(
  supported: readonly Backend[],
  gpu: GpuOffer,
  preference: BackendPreference = 'auto',
): Backend[] {
  const available = supported.filter(b => b !== 'webgpu' || gpu.available)
  if (preference !== 'auto' && available.includes(preference))
    return [preference, ...available.filter(b => b !== preference)]
  if (gpu.fallbackAdapter)
    return [...available.filter(b => b !== 'webgpu'), ...available.filter(b => b === 'webgpu')]
  return available
}

/** Why the first backend of `order` was chosen, in words for the badge's tooltip and its short note. */
export function explainChoice(order: readonly Backend[], gpu: GpuOffer & { reason: string }, preference: BackendPreference): Omit<BackendReport, 'demo'> {
  const backend = order[0] ?? 'wasm'
  const label = BACKEND_LABELS[backend]
  if (preference !== 'auto' && preference === backend)
    return { backend, reason: `${label} requested in the URL (?backend=${preference})`, fallback: false, note: 'requested' }
  if (backend === 'webgpu')
    return { backend, reason: gpu.reason, fallback: false }
  if (gpu.available && gpu.fallbackAdapter)
    return { backend, reason: `${gpu.reason}: ${label} is faster, so it runs here (?backend=webgpu forces the adapter)`, fallback: false, note: 'software GPU skipped' }
  const wanted = preference === 'auto' || preference === 'webgpu'
  return { backend, reason: `${gpu.reason}; running on ${label}`, fallback: wanted && !gpu.available }
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
