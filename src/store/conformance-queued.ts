/**
 * Conformance: a log that flow control queued (docs/flow-control.md). Its ExecutionStarted carries `queue`, so the
 * summary and the listing say QUEUED; appends that do not end or dequeue it keep QUEUED; ExecutionDequeued (with
 * its alarm, in the same write) makes it RUNNING; a stop ends it (./conformance.ts).
 */
import { Effect } from "effect"
import type { LogEvent } from "../log/events.ts"
import { checkEqual, checkLog, summaryFields } from "./conformance-checks.ts"
import { executionStarted, freshId, t } from "./conformance-events.ts"
import type { ExecutionStoreShape } from "./execution-store.ts"

const queuedStart = (id: string, functionName: string, at: number): LogEvent => ({
  ...(executionStarted(id, { functionName, at, input: "{\"v\":1}" }) as Extract<LogEvent, { _tag: "ExecutionStarted" }>),
  queue: { priority: 5, concurrencyKey: "customer-ü", debounceKey: "k", notBefore: at + 1000 }
})

export const queuedLogs = {
  name: "a queued start lists as QUEUED, stays so through a replaced input, is RUNNING once dequeued, and can be stopped",
  run: Effect.fnUntraced(function*(store: ExecutionStoreShape) {
    const functionName = freshId("fn-queued")
    const id = freshId("queued")
    const log: Array<LogEvent> = [queuedStart(id, functionName, t(1))]
    yield* store.append(id, log, 0)
    const queued = { executionId: id, functionName, status: "QUEUED", startedAt: t(1) }
    yield* checkEqual(summaryFields(yield* store.summary(id)), queued, "summary of a queued start")
    yield* checkEqual((yield* store.list({ functionName, status: "QUEUED" })).items.map(summaryFields), [queued], "QUEUED rows")
    yield* checkEqual(yield* store.getAlarm(id), undefined, "a queued start has no alarm")

    log.push({ _tag: "ExecutionInputReplaced", seq: 2, at: t(2), input: "{\"v\":2}", notBefore: t(1002) })
    yield* store.append(id, log.slice(1), 1)
    yield* checkEqual(summaryFields(yield* store.summary(id)), queued, "summary after a debounced input")
    yield* checkEqual((yield* store.list({ functionName, status: "QUEUED" })).items.map(summaryFields), [queued], "QUEUED rows after a debounced input")

    log.push({ _tag: "ExecutionDequeued", seq: 3, at: t(1002), timeoutAt: t(90_000) })
    yield* store.append(id, log.slice(2), 2, { alarmAt: t(31_002) })
    yield* checkLog(store, id, log, "the queued log, dequeued")
    const running = { ...queued, status: "RUNNING" }
    yield* checkEqual(summaryFields(yield* store.summary(id)), running, "summary once dequeued")
    yield* checkEqual((yield* store.list({ functionName, status: "QUEUED" })).items, [], "no QUEUED rows once dequeued")
    yield* checkEqual((yield* store.list({ functionName, status: "RUNNING" })).items.map(summaryFields), [running], "RUNNING rows once dequeued")
    yield* checkEqual(yield* store.getAlarm(id), t(31_002), "the dequeue's alarm")

    const other = freshId("queued-stopped")
    yield* store.append(other, [queuedStart(other, functionName, t(5))], 0)
    yield* store.append(other, [{ _tag: "ExecutionStopped", seq: 2, at: t(6) }], 1)
    const stopped = { executionId: other, functionName, status: "STOPPED", startedAt: t(5), endedAt: t(6) }
    yield* checkEqual(summaryFields(yield* store.summary(other)), stopped, "a queued execution stopped")
  })
}
