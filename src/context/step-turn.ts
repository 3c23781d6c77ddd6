/**
 * A step body's turn under its `concurrencyKey`/`limit` (Session.stepLimit): taken before the body runs, given back
 * once the body itself has settled.
 *
 * - The wait for a turn may be long (a busy key, several hosts). What held when it began is checked again once the
 *   turn comes: an execution stopped, ended or dropped from memory meanwhile gives the turn back and runs nothing
 *   (its new actor, if any, replays the step and asks again); a paused one gives it back and goes through the step's
 *   checks again (resumed). The actor keeps the function's concurrency slot while a turn is awaited
 *   (actor-activity.ts turnWaits); should it be gone all the same, the turn is given back before the slot is awaited.
 * - Until the body begins (an at-most-once step writes its StepStarted first) the session holds the turn, and gives
 *   it back itself should the execution end or leave memory first (Session.bodyHasTurn).
 * - A body past its step timeout cannot be killed: its attempt has failed, but it keeps its turn until it settles (at
 *   most ABANDONED_BODY_TURN_MS), else the next body and the retry ran beside it, over the limit.
 */
import { bodyMayNotRun } from "./context-core.ts"
import { realClearTimeout, realSetTimeout } from "./real-timers.ts"
import type { Session } from "./session.ts"

/** The longest a body past its timeout keeps its turn: a body that never settles must not hold its key for ever. */
export const ABANDONED_BODY_TURN_MS = 60_000

/** The execution no longer wants this body run here. */
export const NOT_HERE = Symbol("not here")
/** Not yet: the turn was given back; the step's loop checks again what comes before a body (a pause, the slot). */
export const AGAIN = Symbol("again")

/**
 * Waits for the body's turn: its release, NOT_HERE when it must not run, or AGAIN. Whether it is still wanted is
 * asked by a gate that waits long (the hosts' ledger), so that it gives its place up early.
 */
export const takeTurn = async (
  session: Session,
  limit: { readonly key: string; readonly limit: number },
  compensation: boolean
): Promise<(() => void) | typeof NOT_HERE | typeof AGAIN> => {
  const wanted = () => !bodyMayNotRun(session, compensation)
  const release = await session.stepLimit!(limit.key, limit.limit, wanted)
  if (!wanted()) {
    release()
    return NOT_HERE
  }
  // No body starts while the execution is paused; nor without the function's concurrency slot, which the actor
  // keeps while a turn is awaited. The turn is not held while waiting for a slot: that could wait on an execution
  // that holds the slot and waits for this turn.
  if (session.state.paused) {
    release()
    return AGAIN
  }
  const slot = session.acquireSlot?.()
  if (slot === undefined) return release
  release()
  await slot
  return AGAIN
}

/** Once resumed, a turn again (the slot taken again first, if it went meanwhile), or NOT_HERE. */
export const turnAfterPause = async (
  session: Session,
  limit: { readonly key: string; readonly limit: number },
  compensation: boolean
): Promise<(() => void) | typeof NOT_HERE> => {
  for (;;) {
    await session.whenResumed()
    const turn = await takeTurn(session, limit, compensation)
    if (turn !== AGAIN) return turn
  }
}

/** Gives the turn back once `body` settles, or after ABANDONED_BODY_TURN_MS (a turn's release is idempotent). */
export const releaseWhenSettled = (release: () => void, body: PromiseLike<unknown>) => {
  const timer = realSetTimeout(release, ABANDONED_BODY_TURN_MS)
  ;(timer as { unref?: () => void }).unref?.() // a body that never settles does not keep a Node process alive
  const settled = () => {
    realClearTimeout(timer)
    release()
  }
  body.then(settled, settled)
}
