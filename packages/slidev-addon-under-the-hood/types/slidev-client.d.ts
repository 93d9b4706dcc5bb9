/**
 * Types for the parts of @slidev/client this project uses. The package ships TypeScript sources that
 * are not written for `strict` + `noUncheckedIndexedAccess`; tsconfig.json maps the import here so the
 * type check covers our code strictly without checking Slidev's. Keep in step with
 * node_modules/@slidev/client/composables/useNav.ts and index.ts.
 */
declare module '@slidev/client' {
  import type { ComputedRef, Ref } from 'vue'

  export interface SlidevNav {
    total: ComputedRef<number>
    currentSlideNo: ComputedRef<number>
    clicks: Ref<number> | ComputedRef<number>
    clicksTotal: ComputedRef<number>
    isPrintMode: ComputedRef<boolean>
    next: () => Promise<void>
    prev: () => Promise<void>
    go: (no: number | string, clicks?: number, force?: boolean) => Promise<void>
  }
  export function useNav(): SlidevNav
  export function useDarkMode(): { isDark: Ref<boolean>, isColorSchemaConfigured: ComputedRef<boolean>, toggleDark: () => void }
  export function useIsSlideActive(): ComputedRef<boolean>
  export function onSlideEnter(fn: () => void): void
  export function onSlideLeave(fn: () => void): void
  export function useSlideContext(): {
    $page: Ref<number>
    /** 'slide' | 'presenter' | 'previewNext' | 'overview' | 'none' (state/syncState.ts, constants.ts). */
    $renderContext: Ref<string>
  }
  export const configs: { title?: string, slidesTitle?: string }
  export function createSyncState<State extends object>(serverState: State, defaultState: State, persist?: boolean): {
    init: (channelKey: string) => void
    onPatch: (fn: (state: State) => void) => void
    onUpdate: (patch: Partial<State>) => void
    patch: <K extends keyof State>(key: K, value: State[K]) => void
    state: State
  }
}

/** Synced by Slidev's dev server (vite-plugin-vue-server-ref); vite.config.ts declares it. */
declare module 'server-reactive:demos?diff' {
  const state: Record<string, unknown>
  export default state
}
