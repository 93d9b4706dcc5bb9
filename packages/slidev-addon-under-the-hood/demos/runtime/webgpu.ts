/** WebGPU detection: one adapter request per page, with a time limit (some drivers never answer). */

export interface WebGPUInfo {
  available: boolean
  /** Software adapter (e.g. SwiftShader): correct but slow. */
  fallbackAdapter: boolean
  features: string[]
  reason: string
}

interface GPULike {
  requestAdapter: (opts?: { powerPreference?: string }) => Promise<null | {
    features: Iterable<string> & { has?: (f: string) => boolean }
    info?: { isFallbackAdapter?: boolean, vendor?: string, architecture?: string }
    isFallbackAdapter?: boolean
  }>
}

let cached: Promise<WebGPUInfo> | undefined

export async function probeWebGPU(gpu: GPULike | undefined, timeoutMs = 3000): Promise<WebGPUInfo> {
  if (!gpu)
    return { available: false, fallbackAdapter: false, features: [], reason: 'this browser has no WebGPU (navigator.gpu is missing)' }
  try {
    const adapter = await Promise.race([
      gpu.requestAdapter({ powerPreference: 'high-performance' }),
      new Promise<'timeout'>(resolve => setTimeout(resolve, timeoutMs, 'timeout')),
    ])
    if (adapter === 'timeout')
      return { available: false, fallbackAdapter: false, features: [], reason: `no WebGPU adapter answered within ${timeoutMs} ms` }
    if (!adapter)
      return { available: false, fallbackAdapter: false, features: [], reason: 'WebGPU is present but no adapter is available (GPU blocked or disabled)' }
    const fallbackAdapter = Boolean(adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter)
    return {
      available: true,
      fallbackAdapter,
      features: [...adapter.features],
      reason: fallbackAdapter ? 'software WebGPU adapter (correct, but slower than a real GPU)' : 'WebGPU adapter found',
    }
  }
  catch (err) {
    return { available: false, fallbackAdapter: false, features: [], reason: `WebGPU adapter request failed: ${String(err)}` }
  }
}

/** Cached probe of this page's WebGPU. */
export function detectWebGPU(): Promise<WebGPUInfo> {
  cached ??= probeWebGPU(typeof navigator === 'undefined' ? undefined : (navigator as unknown as { gpu?: GPULike }).gpu)
  return cached
}
