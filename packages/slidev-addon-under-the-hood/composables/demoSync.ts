/**
 * One synced state per demo per window, on Slidev's own sync (`createSyncState`): through the dev
 * server when there is one (remote mode, a phone), through BroadcastChannel between the windows of a
 * static build. The rules (revisions, last change wins, malformed messages ignored) are in
 * demos/frame/sync.ts; this file only wires them to Vue and Slidev.
 *
 * A demo's state lives outside its component, in a detached scope: Slidev mounts a slide more than once
 * (the presenter's slide, its next-slide preview, the overview) and all copies in a window share it.
 */
import { configs, createSyncState } from '@slidev/client'
import serverDemos from 'server-reactive:demos?diff'
import { effectScope, nextTick, reactive, toRaw, watch } from 'vue'
import type { Envelope, Revision } from '../demos/frame/sync'
import { isEnvelope, isNewer, NO_REVISION, nextRevision, parseData, pendingActs, plainCopy, sameRevision, sanitize, SYNC_VERSION } from '../demos/frame/sync'

type Data = Record<string, unknown>
type Handler = () => void

export interface DemoSync<S extends Data> {
  /** The demo's controls: change them and every window follows. */
  ui: S
  /** Presses a button in every window: runs the handlers here now, there when the message arrives. */
  press: (name: string) => void
  /** Registers what a button does in this window; returns the function that unregisters it. */
  on: (name: string, fn: Handler) => () => void
}

/** This window, as the sender of its changes. */
const WINDOW_ID = Math.random().toString(36).slice(2, 12)
const registry = new Map<string, DemoSync<Data>>()
const servers = serverDemos as Record<string, unknown> | undefined

/** What each button does in this window: `on` registers a handler, `fire` runs a button's handlers. */
function buttons() {
  const handlers = new Map<string, Set<Handler>>()
  return {
    fire: (name: string) => handlers.get(name)?.forEach(fn => fn()),
    on(name: string, fn: Handler): () => void {
      const set = handlers.get(name) ?? new Set<Handler>()
      handlers.set(name, set.add(fn))
      return () => set.delete(fn)
    },
  }
}

/** The synced state of demo `key` (slide number + demo id) in this window, created on first use. */
export function demoSync<S extends Data>(key: string, defaults: () => S): DemoSync<S> {
  const found = registry.get(key)
  if (found) return found as unknown as DemoSync<S>
  const made = effectScope(true).run(() => create(key, defaults))!
  registry.set(key, made as unknown as DemoSync<Data>)
  return made
}

function create<S extends Data>(key: string, defaults: () => S): DemoSync<S> {
  const ui = reactive(defaults()) as S
  const { fire, on } = buttons()
  const done: Record<string, number> = {}
  let current: Revision = NO_REVISION
  let mine: Envelope = { v: SYNC_VERSION, ...NO_REVISION, data: JSON.stringify(defaults()), acts: {} }

  if (servers && !isEnvelope(servers[key])) servers[key] = plainCopy(mine)
  const sync = createSyncState<Envelope>((servers?.[key] ?? plainCopy(mine)) as Envelope, plainCopy(mine))
  sync.init(`${configs.title ?? 'deck'} · demo ${key}`)
  const env = sync.state

  const snapshot = () => JSON.stringify(toRaw(ui))

  // Slidev's sync does not send a change made right after a message arrived: until a timer it set when
  // the message came has run, it treats every change as the incoming one. So ours is handed over in a
  // later tick, and again a tick later while messages keep arriving (a timer set before a message fires
  // before Slidev's, and would be swallowed: two windows typing at once then kept different texts).
  let publishing: ReturnType<typeof setTimeout> | undefined
  let arrivals = 0
  function publish() {
    clearTimeout(publishing)
    let seen = arrivals
    const attempt = () => {
      if (arrivals !== seen) {
        seen = arrivals
        publishing = setTimeout(attempt, 0)
        return
      }
      Object.assign(env, plainCopy(mine))
    }
    publishing = setTimeout(attempt, 0)
  }
  function commit() {
    current = nextRevision(isEnvelope(env) && isNewer(env, current) ? env : current, WINDOW_ID)
    mine = { v: SYNC_VERSION, ...current, data: snapshot(), acts: { ...done } }
    publish()
  }

  /** An envelope arrived (or was found on the server): keep it if it is newer, else put ours back. */
  function receive(fireActs: boolean) {
    const incoming: unknown = plainCopy(toRaw(env))
    if (isEnvelope(incoming) && sameRevision(incoming, current)) return
    arrivals++
    if (!isEnvelope(incoming) || !isNewer(incoming, current)) {
      // Ours is newer: put it back, and make sure the sender hears it (see publish).
      publish()
      return
    }
    current = { rev: incoming.rev, at: incoming.at, by: incoming.by }
    const data = sanitize(parseData(incoming.data) as Record<string, unknown>, defaults(), JSON.parse(snapshot()) as S)
    mine = { v: SYNC_VERSION, ...current, data: JSON.stringify(data), acts: { ...incoming.acts } }
    // Only the fields that changed: watchers of the others must not fire.
    for (const k of Object.keys(data) as (keyof S)[]) {
      if (JSON.stringify(data[k]) !== JSON.stringify(toRaw(ui)[k])) ui[k] = data[k]
    }
    const pressed = pendingActs(incoming.acts, done)
    for (const name of pressed) done[name] = incoming.acts[name]!
    // After the view's own watchers have seen the new controls.
    if (fireActs && pressed.length) void nextTick(() => pressed.forEach(fire))
  }

  // A window that opens late in remote mode finds the others' state on the server.
  if (isEnvelope(env) && env.rev > 0) receive(false)

  watch(ui, () => { if (snapshot() !== mine.data) commit() }, { deep: true })
  watch(() => JSON.stringify(env), () => receive(true))

  return {
    ui,
    press(name) {
      done[name] = (done[name] ?? 0) + 1
      commit()
      fire(name)
    },
    on,
  }
}

/** Print and export render each slide once, alone: the state is the declared one, with no sync. */
export function localState<S extends Data>(defaults: () => S): DemoSync<S> {
  const { fire, on } = buttons()
  return { ui: reactive(defaults()) as S, press: fire, on }
}
