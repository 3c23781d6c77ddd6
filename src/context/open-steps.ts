/**
 * Default (at-least-once) steps write their start only with their outcome. Where AWS's history shows a step as
 * started before something else (a promise combinator over running steps records the steps first, then its
 * CONTEXT operation), the start is written then: this keeps the running, still unwritten attempts of a session.
 */
import type { Session } from "./session.ts"
import type { OperationRef } from "./usage-tracker.ts"

interface OpenAttempt {
  readonly ref: OperationRef
  readonly attempt: number
}

const running = new WeakMap<Session, Map<string, OpenAttempt>>()

export const openAttempt = (session: Session, ref: OperationRef, attempt: number): void => {
  let attempts = running.get(session)
  if (attempts === undefined) running.set(session, attempts = new Map())
  attempts.set(ref.id, { ref, attempt })
}

export const closeAttempt = (session: Session, id: string): void => {
  running.get(session)?.delete(id)
}

/** Queues a StepStarted for every running default step that has written nothing for this attempt yet. */
export const writeOpenStarts = (session: Session): void => {
  const attempts = running.get(session)
  if (attempts === undefined || attempts.size === 0) return
  const starts = [...attempts.values()]
    .filter(({ ref }) => session.state.operations.get(ref.id)?.attemptOpen !== true)
    .map(({ ref, attempt }) => ({ _tag: "StepStarted" as const, ...ref, attempt }))
  attempts.clear()
  if (starts.length > 0) session.post(starts)
}
