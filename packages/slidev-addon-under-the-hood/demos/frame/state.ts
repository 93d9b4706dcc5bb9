/**
 * The life cycle every demo shares, independent of Vue: idle → loading (with progress) → ready,
 * or error (message + hint), and back to idle on reset. The demo frame renders this state.
 */
import type { Backend } from '../runtime/backends'
import { DemoError } from './errors'

export type DemoPhase = 'idle' | 'loading' | 'ready' | 'error'

export interface DemoState {
  phase: DemoPhase
  /** 0..1 while loading; null when unknown. */
  progress: number | null
  /** What is being loaded, e.g. "micro-CLIP text encoder". */
  label: string
  backend: Backend | null
  backendReason: string
  fallback: boolean
  /** A few words the badge adds (e.g. "software GPU skipped"). */
  backendNote: string
  error: { code: string, message: string, hint: string } | null
}

export function initialState(): DemoState {
  return { phase: 'idle', progress: null, label: '', backend: null, backendReason: '', fallback: false, backendNote: '', error: null }
}

export type DemoEvent =
  | { type: 'load', label: string }
  | { type: 'progress', value: number }
  | { type: 'backend', backend: Backend, reason: string, fallback: boolean, note?: string }
  | { type: 'ready' }
  | { type: 'fail', error: unknown }
  | { type: 'reset' }

export function reduce(state: DemoState, event: DemoEvent): DemoState {
  switch (event.type) {
    case 'load':
      return { ...state, phase: 'loading', progress: 0, label: event.label, error: null }
    case 'progress': {
      if (state.phase !== 'loading' || !Number.isFinite(event.value))
        return state
      const value = Math.min(1, Math.max(state.progress ?? 0, event.value))
      return { ...state, progress: value }
    }
    case 'backend':
      return { ...state, backend: event.backend, backendReason: event.reason, fallback: event.fallback, backendNote: event.note ?? '' }
    case 'ready':
      return state.phase === 'error' ? state : { ...state, phase: 'ready', progress: 1, error: null }
    case 'fail': {
      const e = DemoError.from(event.error)
      return { ...state, phase: 'error', error: { code: e.code, message: e.message, hint: e.hint } }
    }
    case 'reset':
      return { ...initialState(), backend: state.backend, backendReason: state.backendReason, fallback: state.fallback, backendNote: state.backendNote }
  }
}

/** Runs `task` through the state machine: load → (progress…) → ready | fail. Never throws. */
export async function runTask<T>(dispatch: (e: DemoEvent) => void, label: string,
  task: (progress: (v: number) => void) => Promise<T>): Promise<T | undefined> {
  dispatch({ type: 'load', label })
  try {
    const result = await task(v => dispatch({ type: 'progress', value: v }))
    dispatch({ type: 'ready' })
    return result
  }
  catch (err) {
    dispatch({ type: 'fail', error: err })
    return undefined
  }
}
