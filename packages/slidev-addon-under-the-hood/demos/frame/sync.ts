/**
 * What travels between the windows of a talk (presenter view, audience window, a phone in remote mode)
 * for one demo, and the rules every window applies to it. Framework-free; composables/useDemo wires it
 * to Slidev's own sync (createSyncState: the dev server in remote mode, BroadcastChannel in a static
 * build).
 *
 * - An envelope carries the demo's controls (`data`, as JSON text) and how often each button was pressed
 *   (`acts`). The controls travel as one string so that the dev server's patches replace them whole: its
 *   diffing of nested arrays fails on arrays of strings.
 * - Every change gets a revision: the highest seen plus one, ties broken by time and window id. Every
 *   window keeps the newer of what it has and what arrives, so two windows changing at once end with
 *   the same winner (the last change), whatever order the messages come in.
 * - A message from another deck version, or a malformed one, is ignored: only the fields the demo
 *   declares, with the same type as their default, are taken.
 */

/** Bumped when the envelope's shape changes: windows of older decks are then ignored. */
export const SYNC_VERSION = 1

export type Plain = null | boolean | number | string | Plain[] | { [k: string]: Plain }

export interface Revision {
  rev: number
  /** Wall-clock time of the change (milliseconds), only to break ties. */
  at: number
  /** The window that made the change. */
  by: string
}

export interface Envelope extends Revision {
  v: number
  /** The controls, as JSON of an object. */
  data: string
  acts: Record<string, number>
}

/** The largest controls text accepted (dropped images travel inside it as small data URLs). */
export const MAX_DATA_CHARS = 4_000_000

export const NO_REVISION: Revision = Object.freeze({ rev: 0, at: 0, by: '' })

/** Total order on revisions: true when `a` is later than `b`. */
export function isNewer(a: Revision, b: Revision): boolean {
  if (a.rev !== b.rev) return a.rev > b.rev
  if (a.at !== b.at) return a.at > b.at
  return a.by > b.by
}

export function sameRevision(a: Revision, b: Revision): boolean {
  return a.rev === b.rev && a.at === b.at && a.by === b.by
}

/** The revision a window gives its next change. */
export function nextRevision(seen: Revision, by: string, now = Date.now()): Revision {
  return { rev: seen.rev + 1, at: now, by }
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x)
}

/** An envelope this deck version can read (the data is checked field by field by `sanitize`). */
export function isEnvelope(x: unknown): x is Envelope {
  if (!isRecord(x)) return false
  return x.v === SYNC_VERSION
    && Number.isSafeInteger(x.rev) && (x.rev as number) >= 0
    && typeof x.at === 'number' && Number.isFinite(x.at)
    && typeof x.by === 'string' && x.by.length <= 64
    && typeof x.data === 'string' && x.data.length <= MAX_DATA_CHARS && isRecord(parseData(x.data))
    && isRecord(x.acts) && Object.values(x.acts).every(n => Number.isSafeInteger(n) && (n as number) >= 0)
}

/** The controls of an envelope, or null when its text is not JSON. */
export function parseData(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  }
  catch {
    return null
  }
}

/** True when `value` has the same kind as `like` (number, string, boolean, array, object); null matches anything plain. */
function sameKind(value: unknown, like: unknown): boolean {
  if (like === null) return value === null || ['number', 'string', 'boolean'].includes(typeof value) || Array.isArray(value) || isRecord(value)
  if (Array.isArray(like)) return Array.isArray(value)
  if (isRecord(like)) return isRecord(value)
  // A number field's input may hold text while it is being typed (an empty or partial number).
  if (typeof like === 'number') return (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && value.length <= 32)
  return typeof value === typeof like
}

/**
 * The fields of `incoming` that the demo declares (`defaults`), each only if it has its default's kind;
 * every other field keeps its `current` value.
 */
export function sanitize<S extends Record<string, unknown>>(incoming: Record<string, unknown>, defaults: S, current: S): S {
  const out = { ...current }
  for (const key of Object.keys(defaults) as (keyof S & string)[]) {
    if (key in incoming && sameKind(incoming[key], defaults[key]))
      out[key] = incoming[key] as S[typeof key]
  }
  return out
}

/** Buttons pressed in the incoming envelope that this window has not run yet, with their new counts. */
export function pendingActs(incoming: Record<string, number>, done: Record<string, number>): string[] {
  return Object.keys(incoming).filter(name => (incoming[name] ?? 0) > (done[name] ?? 0))
}

/** A deep copy of plain data (what travels must be JSON). */
export function plainCopy<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T
}
