/**
 * A FlowLedger in memory for the step limits' tests: it answers a take as PostgreSQL's `flow_take` does in "resume"
 * mode (the held slots of the name against the limit) and wakes its handlers with the name when a slot is given back.
 */
import { Effect } from "effect"
import type { FlowLedgerShape, LedgerAnswer, LedgerTake } from "../../src/engine/flow-ledger.ts"

export const makeLedger = () => {
  const held = new Map<string, string>() // token -> name
  const takes: Array<string> = []
  let handlers: Array<(name: string | undefined) => void> = []
  let failing = 0
  const ledger: FlowLedgerShape = {
    take: (request: LedgerTake) =>
      Effect.suspend(() => {
        takes.push(request.executionId)
        if (failing > 0) {
          failing--
          return Effect.die(new Error("the database is unreachable"))
        }
        const count = [...held].filter(([token, name]) => name === request.functionName && token !== request.executionId).length
        if (count >= request.concurrency!.limit) return Effect.succeed<LedgerAnswer>({ _tag: "Full" })
        held.set(request.executionId, request.functionName)
        return Effect.succeed<LedgerAnswer>({ _tag: "Taken", at: 0 })
      }),
    reserve: () => Effect.void, // the step limits reserve nothing
    release: (token) =>
      Effect.sync(() => {
        const name = held.get(token)
        if (held.delete(token)) for (const wake of handlers) wake(name)
      }),
    queue: () => Effect.succeed([]),
    positions: () => Effect.succeed(new Map()),
    debouncing: () => Effect.succeed(undefined),
    wake: () => Effect.void,
    onWake: (handler) => void (handlers = [...handlers, handler])
  }
  return { ledger, held, takes, failWith: (n: number) => void (failing = n), poll: () => handlers.forEach((wake) => wake(undefined)) }
}
