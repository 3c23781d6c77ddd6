/**
 * Conformance: the ids of idempotency keys scoped per function (src/engine/keyed-start.ts). A key names the
 * execution id when it is free, and `<key>~<function>` when another function's execution holds it: the store must
 * keep both apart, whole (up to 257 characters with a `~`), in loads, summaries, listings, alarms and deletion.
 */
import { Effect } from "effect"
import { check, checkConflict, checkEqual, checkLog, ids, listAll, summaryFields } from "./conformance-checks.ts"
import { freshId, startedLog, t } from "./conformance-events.ts"
import type { ExecutionStoreShape } from "./execution-store.ts"

export const scopedKeyIds = {
  name: "a key's id and its function-scoped id (<key>~<function>, 257 characters) are separate executions",
  run: Effect.fnUntraced(function*(store: ExecutionStoreShape) {
    // The longest key and function name the HTTP API and the registry accept (128 characters each).
    const key = `${freshId("key")}:`.padEnd(128, "k")
    const a = `${freshId("fn-a")}.`.padEnd(128, "a")
    const b = `${freshId("fn-b")}.`.padEnd(128, "b")
    const scoped = `${key}~${b}`
    yield* checkEqual(scoped.length, 257, "the scoped id's length")
    const logA = startedLog(key, { functionName: a, at: t(1), length: 2 })
    const logB = startedLog(scoped, { functionName: b, at: t(2), length: 3 })
    yield* store.append(key, logA, 0, { alarmAt: t(100) })
    yield* checkLog(store, scoped, undefined, "the scoped id before its start")
    yield* store.append(scoped, logB, 0, { alarmAt: t(200) })
    yield* checkLog(store, key, logA, "the key's execution")
    yield* checkLog(store, scoped, logB, "the scoped execution")
    yield* checkEqual(summaryFields(yield* store.summary(scoped)), {
      executionId: scoped,
      functionName: b,
      status: "RUNNING",
      startedAt: t(2)
    }, "summary of the scoped execution")
    yield* checkEqual(yield* store.getAlarm(key), t(100), "alarm of the key's execution")
    yield* checkEqual(yield* store.getAlarm(scoped), t(200), "alarm of the scoped execution")
    yield* checkEqual(ids(yield* listAll(store, { functionName: b })), [scoped], "listing of the scoped execution's function")
    yield* checkEqual(ids(yield* listAll(store, { functionName: a })), [key], "listing of the key's function")
    // A second start of the scoped id is refused as for any id.
    yield* checkConflict(store, scoped, startedLog(scoped, { functionName: b, at: t(3), length: 1 }), 0, 3)
    yield* store.delete(key)
    yield* checkLog(store, key, undefined, "the key's execution after its deletion")
    yield* checkLog(store, scoped, logB, "the scoped execution after the key's deletion")
    yield* check((yield* store.summary(scoped)) !== undefined, "the scoped execution's summary after the key's deletion")
    yield* store.delete(scoped)
  })
}
