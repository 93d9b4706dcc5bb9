/**
 * Plays sound in this window only: two windows of one laptop playing together would echo. One
 * AudioContext per view, made on the first play (browsers allow audio only after a click) and closed
 * with the view.
 */
import { tryOnScopeDispose } from '@vueuse/core'

export function usePlayer() {
  let ctx: AudioContext | undefined
  tryOnScopeDispose(() => void ctx?.close())
  return async function play(data: Float32Array, sampleRate: number): Promise<void> {
    ctx ??= new AudioContext()
    await ctx.resume()
    const b = ctx.createBuffer(1, data.length, sampleRate)
    b.copyToChannel(data as Float32Array<ArrayBuffer>, 0)
    const src = ctx.createBufferSource()
    src.buffer = b
    src.connect(ctx.destination)
    src.start()
  }
}
