/** Conformance: an append may carry the execution's alarm, written with the events or not at all (./conformance.ts). */
import { Effect } from "effect"
import { checkConflict, checkEqual, checkFailsWith, checkLog } from "./conformance-checks.ts"
import { executionStarted, freshId, startedLog, steps, t } from "./conformance-events.ts"
import type { ExecutionStoreShape } from "./execution-store.ts"

export const appendCarriesAlarm = {
  name: "an append carrying an alarm sets it with the events; a refused one leaves the alarm as it was",
  run: Effect.fnUntraced(function*(store: ExecutionStoreShape) {
    const id = freshId("start-alarm")
    const started = [executionStarted(id, { functionName: "start-alarm", at: t(1) })]
    yield* store.append(id, started, 0, { alarmAt: t(30_001) })
    yield* checkEqual(yield* store.getAlarm(id), t(30_001), "alarm after a start that carries one")
    yield* checkLog(store, id, started, "log after a start that carries an alarm")

    yield* store.append(id, steps(2, 1, t(2)), 1, { alarmAt: t(900) })
    yield* checkEqual(yield* store.getAlarm(id), t(900), "alarm after an append that carries an earlier one")
    yield* store.append(id, steps(3, 1, t(3)), 2)
    yield* checkEqual(yield* store.getAlarm(id), t(900), "alarm after an append that carries none")

    yield* checkConflict(store, id, steps(3, 1, t(4)), 2, 3)
    yield* checkFailsWith(store.append(id, steps(4, 1, t(4)), 2, { alarmAt: t(5) }), "SeqConflict", "a conflicting append with an alarm")
    yield* checkEqual(yield* store.getAlarm(id), t(900), "alarm after a conflicting append that carried one")
    yield* checkFailsWith(store.append(id, startedLog(id, { functionName: "again", at: t(6), length: 1 }).map((e) => ({ ...e, seq: 4 })), 3, { alarmAt: t(6) }), "LogCorrupted", "a second ExecutionStarted with an alarm")
    yield* checkEqual(yield* store.getAlarm(id), t(900), "alarm after a refused batch that carried one")

    const refused = freshId("start-alarm-refused")
    yield* checkFailsWith(store.append(refused, steps(1, 1, t(1)), 0, { alarmAt: t(7) }), "LogCorrupted", "a headless start with an alarm")
    yield* checkEqual(yield* store.getAlarm(refused), undefined, "alarm of a start that was refused")
    yield* checkLog(store, refused, undefined, "log of a start that was refused")
  })
}
