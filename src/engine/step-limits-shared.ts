/**
 * Step-level limits (`ctx.step(name, fn, { concurrencyKey, limit })`) counted by a FlowLedger (flow-ledger.ts), for
 * several hosts on one store (PostgreSQL with leases): at most `limit` bodies of a key run at once across every
 * host, not per process as in step-limits.ts.
 *
 * - Each body asking for a turn is a token (its execution id and random bytes) taken in the ledger under the key's
 *   own name, `step limit/<key>` (no function can be named so: names have no '/' or space), in "resume" mode: a
 *   slot if fewer than `limit` are held, else a row that waits (it orders nothing: it makes a give-back NOTIFY). The ledger renews it with the host's leases, so a
 *   body of a host that died stops counting once its lease lapses; giving it back wakes every host.
 * - On this host the bodies of a key wait in order, and only the first asks the ledger again when woken (a slot given
 *   back anywhere, the ledger's poll): one query per host per freed slot rather than one per waiting body. Across
 *   hosts the first to ask after a slot frees takes it.
 * - A body waiting has written nothing, as in memory: a crash loses nothing, its replay asks again. A body no longer
 *   wanted (its execution stopped, ended or left memory while it waited) gives its place up when it would ask.
 */
import { type Clock, Effect, type Scope } from "effect"
import { realClearTimeout, realSetTimeout } from "../context/real-timers.ts"
import type { FlowLedgerShape } from "./flow-ledger.ts"
import { hex, type SecureRandomShape } from "./secure-random.ts"
import { makeStepLimits } from "./step-limits.ts"

export const stepLimitName = (key: string) => `step limit/${key}`

export interface SharedStepLimitDeps {
  readonly clock: Clock.Clock
  /** For each body's token: no other body on any host has it. */
  readonly secureRandom: SecureRandomShape
  /** Runs work no caller waits for (the engine's: its failure is logged). */
  readonly background: (what: string, executionId: string, effect: Effect.Effect<unknown, unknown>) => void
}

/** How long the first body in line waits for a wake-up before asking again (the ledger's poll comes sooner). */
const RETRY_MS = 2_000

interface Waiter {
  /** Asks again now (set while it sleeps). */
  wake: (() => void) | undefined
  /** Woken while it was asking: it asks again rather than sleep (the wake-up may be for a slot freed meanwhile). */
  woken: boolean
}

const wake = (waiter: Waiter | undefined) => {
  if (waiter === undefined) return
  if (waiter.wake === undefined) waiter.woken = true
  else waiter.wake()
}

export const makeSharedStepLimits = (ledger: FlowLedgerShape, deps: SharedStepLimitDeps) => {
  /** The bodies of each key waiting on this host, in the order they asked. */
  const lines = new Map<string, Array<Waiter>>()
  ledger.onWake((name) => {
    if (name === undefined) for (const line of lines.values()) wake(line[0])
    else wake(lines.get(name)?.[0])
  })

  const leave = (name: string, waiter: Waiter) => {
    const line = lines.get(name)
    if (line === undefined) return
    const at = line.indexOf(waiter)
    if (at >= 0) line.splice(at, 1)
    if (line.length === 0) lines.delete(name)
    else if (at === 0) wake(line[0]) // the next in line asks at once: more than one slot may be free
  }

  const warn = (what: string, executionId: string, cause: unknown) => deps.background(what, executionId, Effect.logWarning(`${what} failed`, cause))
  // Failures are logged; the slot lapses with this host's lease instead.
  const giveBack = (token: string, executionId: string) => deps.background("giving a step-limit slot back", executionId, ledger.release(token))

  /** One ask; undefined when the ledger could not be reached (asked again later). */
  const ask = (name: string, limit: number, token: string, executionId: string) =>
    Effect.runPromise(ledger.take({ functionName: name, executionId: token, now: deps.clock.currentTimeMillisUnsafe(), mode: "resume", concurrency: { key: "", limit } }))
      .then((answer) => answer._tag === "Taken")
      .catch((cause) => (warn("asking for a step-limit slot (asked again later)", executionId, cause), undefined))

  const sleep = (waiter: Waiter, ms: number | undefined) => {
    if (waiter.woken) {
      waiter.woken = false
      return Promise.resolve()
    }
    return new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : realSetTimeout(done, ms)
      ;(timer as { unref?: () => void } | undefined)?.unref?.() // a waiting body does not keep a Node process up
      function done() {
        if (timer !== undefined) realClearTimeout(timer)
        waiter.wake = undefined
        resolve()
      }
      waiter.wake = done
    })
  }

  /** `wanted`: whether the body is still to run here (its execution stopped, ended or left memory: it gives its place up). */
  /** The engine closed: every body waiting gives its place up and never runs (a timer would keep asking, and Node up). */
  let closed = false
  const close = () => {
    closed = true
    for (const line of lines.values()) for (const waiter of line) wake(waiter)
  }

  const take = async (key: string, limit: number, executionId: string, wanted: () => boolean): Promise<() => void> => {
    const name = stepLimitName(key)
    const token = `${executionId}#${hex(deps.secureRandom.bytes(8))}`
    const release = () => giveBack(token, executionId) // given back once: the session's turn wraps it (actor-session.ts)
    // In line before it first asks, so that a slot given back while it asks wakes it. The first in line asks at once.
    const waiter: Waiter = { wake: undefined, woken: false }
    const line = lines.get(name)
    if (line === undefined) lines.set(name, [waiter])
    else line.push(waiter)
    let asked = false
    for (let failures = 0;;) {
      const first = lines.get(name)?.[0] === waiter
      // Not first: woken when it is. First: woken by the ledger, or asks again after a while (sooner after a failure).
      if (!first || asked) await sleep(waiter, first ? (failures === 0 ? RETRY_MS : Math.min(RETRY_MS, 50 * 2 ** failures)) : undefined)
      if (closed) {
        leave(name, waiter)
        release()
        return new Promise(() => {})
      }
      if (lines.get(name)?.[0] !== waiter) continue
      if (!wanted()) {
        leave(name, waiter)
        return release // its place in line given back (the caller runs nothing: step-turn.ts)
      }
      const taken = await ask(name, limit, token, executionId)
      asked = true
      if (taken === true) {
        leave(name, waiter)
        return release
      }
      failures = taken === undefined ? failures + 1 : 0
    }
  }
  return { take, close }
}

type StepLimit = (key: string, limit: number, executionId: string, wanted: () => boolean) => Promise<() => void>

/**
 * An engine's step limits: in the ledger when several hosts share one (PostgreSQL with leases), closed with the
 * engine's scope; else in its memory.
 */
export const engineStepLimits = (ledger: FlowLedgerShape | undefined, deps: SharedStepLimitDeps): Effect.Effect<StepLimit, never, Scope.Scope> =>
  ledger === undefined
    ? Effect.succeed(makeStepLimits())
    : Effect.map(Effect.acquireRelease(Effect.sync(() => makeSharedStepLimits(ledger, deps)), (limits) => Effect.sync(limits.close)), (limits) => limits.take)
