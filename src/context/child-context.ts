/**
 * Child contexts: a CONTEXT operation whose own operations get ids "<parent>-1", "<parent>-2" …
 * A finished child returns its recorded result without running its body again, unless `replayBody` is set
 * (composites such as waitForCallback, whose children are all recorded) or the result was too large to store.
 * Its outcome is queued, not awaited, as in AWS's SDK: the caller goes on at once, and the outcome reaches the log
 * before anything the caller writes next (one mailbox). It is computed from the children's durable outcomes, so a
 * crash before it is written only makes the replay run the body again, over those outcomes. A waitForCallback that
 * ends its execution so costs two commits (the completion, then the outcome with the end), not three. When the
 * outcome cannot be queued (the actor was evicted or the execution ended while the body ran), the caller is
 * abandoned code and stops there, as it did at an awaited append.
 * But the caller goes on at its place in the log (`whenOutcomeTurn`, write-releases.ts): once the appends made
 * before the outcome are written and the callers released before it in its context have had rounds of microtasks to
 * make their next calls. Replay settles in the order of the log; going on at once, `runInChildContext(…).then(next)`
 * beside `step(…).then(next)` took its next id before the step's continuation, whose end the log holds first, and the
 * replay failed as non-deterministic (the replay fuzz probe); so did a child that failed at once right after such a
 * write, before the step's caller had made its next call.
 */
import type { ErrorObject } from "../log/events.ts"
import { type Begun, ContextCore, never } from "./context-core.ts"
import type { Session } from "./session.ts"
import { runOwned } from "./usage-tracker.ts"
import { PayloadTooLargeError } from "./errors.ts"
import { serializeWith } from "./serdes-call.ts"
import { type Serdes, serdesContext } from "./serdes.ts"
import { failedBySerdes, readBack } from "./serdes-failure.ts"
import { bodyStarted } from "./replay-order.ts"
import { underFinishedBatch } from "./finished-batches.ts"

export interface ChildRun<T> {
  /** `summary` is what was stored instead of a result too large to keep (on the replay of such a child). */
  readonly body: (child: ContextCore, summary: string | undefined) => Promise<T>
  readonly serdes?: Serdes<T> | undefined
  /** Stored instead of a result over the payload limit (AWS's summaryGenerator); the body then re-runs on replay. */
  readonly summarize?: ((value: T) => string) | undefined
  /** Re-run the body on replay instead of returning the recorded result. */
  readonly replayBody?: boolean
  /** A map's or parallel's item: its caller is the batch's loop (write-releases.ts). */
  readonly batchItem?: boolean
  /** Operations whose callers are the body's own code though begun outside it (a combinator's: write-releases.ts). */
  readonly owns?: ReadonlyArray<string> | undefined
  /** What the caller sees for a recorded or fresh failure. */
  readonly toError: (error: ErrorObject, thrown: unknown) => unknown
}

/**
 * Queues the child's outcome; what its caller awaits before going on: its turn in the log's order (write-releases.ts;
 * undefined when it may go on at once: no extra microtask), or never when the outcome cannot be queued (abandoned code).
 */
const postOutcome = (
  core: ContextCore,
  id: string,
  run: { readonly batchItem?: boolean; readonly owns?: ReadonlyArray<string> | undefined },
  events: Parameters<Session["post"]>[0]
): Promise<void> | undefined => {
  const { session } = core
  // A context inside a batch that completed without it ends unrecorded, its caller abandoned (finished-batches.ts):
  // a replay does not drive it again, so a warm run must not record more of it either.
  if (underFinishedBatch(session, core.parentId)) return never()
  return session.post(events) ? session.whenOutcomeTurn?.(id, run.batchItem === true, run.owns) : never()
}

export const runChildContext = async <T>(core: ContextCore, begun: Begun, run: ChildRun<T>): Promise<T> => {
  const { session } = core
  const { id, ref, recorded } = begun
  const serdes = run.serdes ?? session.serdes.defaultSerdes
  const context = serdesContext(session.executionId, id)
  const finished = recorded !== undefined && recorded.status !== "STARTED"
  if (finished && run.replayBody !== true && recorded.replayChildren !== true) {
    if (recorded.status === "SUCCEEDED") return await readBack(session, serdes, recorded.result, context)
    throw run.toError(recorded.error!, undefined)
  }
  if (recorded === undefined) session.post([{ _tag: "ContextStarted", ...ref }])
  session.childRunning?.(1, id)
  bodyStarted(session, id)
  try {
    return await runBody(core, begun, run, serdes, context, finished)
  } finally {
    session.childRunning?.(-1, id)
  }
}

const runBody = async <T>(
  core: ContextCore,
  begun: Begun,
  run: ChildRun<T>,
  serdes: Serdes<T>,
  context: ReturnType<typeof serdesContext>,
  finished: boolean
): Promise<T> => {
  const { session } = core
  const { id, ref, recorded } = begun
  let value: T
  try {
    const child = new ContextCore(session, id)
    const label = `child context "${id}"${ref.name === undefined ? "" : ` (${JSON.stringify(ref.name)})`}`
    value = await runOwned({ kind: "context", core: child, label, name: ref.name }, () =>
      run.body(child, recorded?.replayChildren === true ? recorded.result : undefined))
  } catch (thrown) {
    if (failedBySerdes(session, thrown)) return never() // a composite's own read-back (waitForCallback's result)
    const error = core.errorRecord(thrown, ref)
    if (!finished) {
      const earlier = postOutcome(core, id, run, [{ _tag: "ContextFailed", ...ref, error }])
      if (earlier !== undefined) await earlier
    }
    throw run.toError(error, thrown)
  }
  let payload: string | undefined
  try {
    payload = await serializeWith(serdes, value, context)
  } catch (thrown) {
    if (failedBySerdes(session, thrown)) return never()
    const error = core.errorRecord(thrown, ref)
    if (!finished) {
      const earlier = postOutcome(core, id, run, [{ _tag: "ContextFailed", ...ref, error }])
      if (earlier !== undefined) await earlier
    }
    throw run.toError(error, thrown)
  }
  let tooLarge = false
  try {
    core.checkPayload(payload, "")
  } catch (error) {
    if (!(error instanceof PayloadTooLargeError)) throw error
    tooLarge = true
  }
  if (!finished) {
    // Too large to store: keep a summary (or nothing) and re-run the body on replay, where its operations replay.
    const stored = tooLarge ? run.summarize?.(value) : payload
    if (stored !== undefined) core.checkPayload(stored, `The summary of ${JSON.stringify(ref.name ?? id)}`)
    const earlier = postOutcome(core, id, run, [{
      _tag: "ContextSucceeded",
      ...ref,
      ...(stored === undefined ? {} : { result: stored }),
      ...(tooLarge ? { replayChildren: true } : {})
    }])
    if (earlier !== undefined) await earlier
  }
  // First run and replay see the same shape: the value goes through the serdes both times (a result too large to
  // store too: its body runs again on replay, and its value is read back the same way).
  return await readBack(session, serdes, payload, context)
}
