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
  }
  export function useNav(): SlidevNav
  export function useIsSlideActive(): ComputedRef<boolean>
  export function onSlideEnter(fn: () => void): void
  export function onSlideLeave(fn: () => void): void
}
