/**
 * The Deno KV store under the real deno binary: the store conformance kit on a KV file in a temporary directory,
 * then what is particular to KV: batches beyond one atomic operation's limits, events beyond the value limit,
 * two processes' worth of handles on one file, alarms with their queue messages and time index.
 */
import { Effect } from "effect"
import { alarmAtKey, alarmKey, isAlarmMessage, type AlarmMessage } from "../../../adapters/deno/kv-keys.ts"
import { type DenoKvStore, openDenoKvStore } from "../../../adapters/deno/kv-store.ts"
import type { LogEvent } from "../../../src/log/events.ts"
import { storeConformance } from "../../../src/store/conformance.ts"
import { executionSucceeded, freshId, startedLog, stepSucceeded, steps, t } from "../../../src/store/conformance-events.ts"
import { assert, Deno, runEffect, tempDir, until } from "./deno-test-api.ts"

const temp = await tempDir("reprise-kv-")
const path = `${temp.dir}/reprise.kv`
const store = await openDenoKvStore(path)

for (const c of storeConformance) {
  Deno.test({ name: `conformance: ${c.name}`, fn: () => runEffect(c.run(store)) })
}

/** Two handles on one KV file of their own (as two isolates or processes would have), closed and removed after. */
const withTwoHandles = async (use: (store: DenoKvStore, other: DenoKvStore) => Promise<void>) => {
  const own = await tempDir("reprise-kv-two-")
  const first = await openDenoKvStore(`${own.dir}/two.kv`)
  const other = await openDenoKvStore(`${own.dir}/two.kv`)
  try {
    await use(first, other)
  } finally {
    other.close()
    first.close()
    await own.remove()
  }
}

const bigStep = (seq: number, chars: number, char = "x"): LogEvent => {
  const step = stepSucceeded(seq, t(seq))
  return step._tag === "StepSucceeded" ? { ...step, result: JSON.stringify(char.repeat(chars)) } : step
}

const countKeys = (prefix: ReadonlyArray<string>) =>
  Effect.promise(async () => {
    let n = 0
    for await (const _ of store.kv.list({ prefix })) n++
    return n
  })

Deno.test({
  name: "an event over KV's 64 KiB value limit (a 250 KiB result, two-byte text) is stored in parts and loads back",
  fn: () =>
    runEffect(Effect.gen(function*() {
      const id = freshId("big-event")
      const log = [...startedLog(id, { functionName: "big", at: t(1), length: 2 }), bigStep(3, 125_000, "日"), stepSucceeded(4, t(4))]
      yield* store.append(id, log.slice(0, 2), 0)
      yield* store.append(id, log.slice(2, 3), 2) // one event alone, over the limit
      yield* store.append(id, log.slice(3), 3)
      const loaded = yield* store.load(id)
      assert.equal(loaded?.seq, 4)
      assert.deepEqual(loaded?.events, log)
    }))
})

Deno.test({
  name: "batches beyond one atomic operation (2,500 events; 40 events of 30 KiB) are written atomically and load back",
  fn: () =>
    runEffect(Effect.gen(function*() {
      const id = freshId("huge-batch")
      const many = startedLog(id, { functionName: "huge", at: t(1), length: 2500 }) // > 1,000 mutations
      yield* store.append(id, many, 0)
      const heavy = Array.from({ length: 40 }, (_, i) => bigStep(2501 + i, 29_000)) // each direct-sized, 1.2 MB in all
      yield* store.append(id, heavy, 2500)
      const tail = [stepSucceeded(2541, t(9)), executionSucceeded(2542, t(10))]
      yield* store.append(id, tail, 2540)
      const loaded = yield* store.load(id)
      assert.equal(loaded?.seq, 2542)
      assert.deepEqual(loaded?.events, [...many, ...heavy, ...tail])
      const summary = yield* store.summary(id)
      assert.equal(summary?.status, "SUCCEEDED")
      // A refused segment leaves nothing behind that a reader could see.
      const refused = yield* Effect.flip(store.append(id, Array.from({ length: 1200 }, (_, i) => stepSucceeded(2000 + i, t(1))), 1999))
      assert.equal(refused._tag, "SeqConflict")
      assert.equal((yield* store.load(id))?.seq, 2542)
      yield* store.delete(id)
      assert.equal(yield* store.load(id), undefined)
      assert.equal((yield* countKeys(["reprise", "parts", id])) + (yield* countKeys(["reprise", "events", id])), 0, "keys left after delete")
    }))
})

Deno.test({
  name: "900 events under a 128-character id (over KV's 80 KiB of keys in one operation) are written and load back",
  fn: () =>
    runEffect(Effect.gen(function*() {
      const id = `${freshId("long-id")}-${"L".repeat(128)}`.slice(0, 128)
      const log = startedLog(id, { functionName: "long", at: t(1), length: 900 })
      yield* store.append(id, log, 0)
      const loaded = yield* store.load(id)
      assert.equal(loaded?.seq, 900)
      assert.deepEqual(loaded?.events, log)
    }))
})

Deno.test({
  name: "100 events under an id of 500 NULs (two bytes each in a key) are written and load back",
  fn: () =>
    runEffect(Effect.gen(function*() {
      const id = `${"\u0000".repeat(500)}${freshId("nul")}`
      const log = startedLog(id, { functionName: "nul", at: t(1), length: 100 })
      yield* store.append(id, log, 0)
      assert.deepEqual((yield* store.load(id))?.events, log)
    }))
})

Deno.test({
  name: "three segment appends racing at one seq: one wins, the losers get SeqConflict and leave no parts behind",
  fn: () =>
    runEffect(Effect.gen(function*() {
      const id = freshId("segment-race")
      yield* store.append(id, startedLog(id, { functionName: "race", at: t(1), length: 1 }), 0)
      const batch = (n: number) => Array.from({ length: 1200 }, (_, i) => ({ ...stepSucceeded(2 + i, t(n)) }))
      const results = yield* Effect.all([0, 1, 2].map((n) => Effect.result(store.append(id, batch(n), 1))), { concurrency: "unbounded" })
      const outcomes = results.map((r) => (r._tag === "Success" ? "ok" : String((r.failure as { _tag?: string })._tag))).sort()
      assert.deepEqual(outcomes, ["SeqConflict", "SeqConflict", "ok"])
      const tokens = yield* Effect.promise(async () => {
        const found = new Set<string>()
        for await (const entry of store.kv.list({ prefix: ["reprise", "parts", id] })) found.add(String(entry.key[5]))
        return found.size
      })
      assert.equal(tokens, 1, "segments staged under distinct tokens; only the winner's parts remain")
      assert.equal((yield* store.load(id))?.seq, 1201)
    }))
})

Deno.test({
  name: "two KV handles on one file: the head each remembers goes stale, and the check still refuses the stale writer",
  fn: () =>
    withTwoHandles(async (store, other) => {
      await runEffect(Effect.gen(function*() {
        const id = freshId("two-handles")
        yield* store.append(id, startedLog(id, { functionName: "two", at: t(1), length: 1 }), 0)
        yield* other.append(id, steps(2, 1, t(2)), 1) // `store` still remembers seq 1
        const stale = yield* Effect.flip(store.append(id, steps(2, 1, t(3)), 1))
        assert.equal(stale._tag, "SeqConflict")
        assert.equal(stale._tag === "SeqConflict" ? stale.actualSeq : -1, 2)
        yield* store.append(id, steps(3, 1, t(4)), 2)
        yield* other.append(id, steps(4, 1, t(5)), 3)
        assert.equal((yield* store.load(id))?.seq, 4)
        assert.equal((yield* other.load(id))?.seq, 4)
      }))
    })
})

Deno.test({
  name: "two isolates on one file: the one whose head went stale does not move the alarm the newer writer set",
  fn: () =>
    withTwoHandles(async (store, other) => {
      await runEffect(Effect.gen(function*() {
        const id = freshId("stale-alarm")
        const callbackTimeout = Date.now() + 300_000
        const waitEnds = Date.now() + 2_000
        yield* store.append(id, startedLog(id, { functionName: "two", at: t(1), length: 1 }), 0)
        // `other` loads the log and moves it on (a callback completed there, a 2 s wait started), then sets its alarm.
        assert.equal((yield* other.load(id))?.seq, 1)
        yield* other.append(id, steps(2, 1, t(2)), 1)
        yield* other.setAlarm(id, waitEnds)
        // The actor of the first isolate, still at seq 1, goes idle and sets the alarm it believes in.
        yield* store.setAlarm(id, callbackTimeout)
        yield* store.deleteAlarm(id)
        assert.equal(yield* store.getAlarm(id), waitEnds, "the alarm of the newer log stands")
        // Once it has read the newer log, its alarm writes count again.
        assert.equal((yield* store.load(id))?.seq, 2)
        yield* store.setAlarm(id, callbackTimeout)
        assert.equal(yield* store.getAlarm(id), callbackTimeout)
        yield* store.deleteAlarm(id)
      }))
    })
})

Deno.test({
  name: "setAlarm keeps the alarm, its time index and a queue message in step; the secret is kept",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const queued = await openDenoKvStore(`${temp.dir}/alarms.kv`)
    const messages: Array<AlarmMessage> = []
    const listening = queued.kv.listenQueue((message) => {
      if (isAlarmMessage(message)) messages.push(message)
    })
    try {
      const id = freshId("alarm")
      const soon = Date.now() + 300
      await runEffect(queued.setAlarm(id, Date.now() + 3_600_000))
      await runEffect(queued.setAlarm(id, soon))
      assert.equal(await queued.alarmAt(id), soon)
      assert.deepEqual((await queued.dueAlarms(soon, 10)).map((a) => a.executionId), [id])
      assert.deepEqual(await queued.dueAlarms(soon - 1, 10), [])
      let indexed = 0
      for await (const _ of queued.kv.list({ prefix: ["reprise", "alarm-at"] })) indexed++
      assert.equal(indexed, 1, "one time-index key per alarm")
      await until(() => messages.some((m) => m.at === soon), 30_000, "the alarm's queue message")
      assert.equal(messages.filter((m) => m.executionId === id).length, 1, "only the message that is due has come")
      assert.equal(await queued.moveAlarm(id, soon + 1, soon + 5), false, "a conditional move from the wrong time")
      assert.equal(await queued.moveAlarm(id, soon, soon + 5), true)
      await runEffect(queued.deleteAlarm(id))
      assert.equal((await queued.kv.get(alarmKey(id))).value, null)
      assert.equal((await queued.kv.get(alarmAtKey(soon + 5, id))).value, null)
      const secret = await queued.keepConfig("callback-secret", "first")
      assert.equal(secret, "first")
      assert.equal(await queued.keepConfig("callback-secret", "second"), "first", "the first writer wins")
    } finally {
      queued.close()
      await listening
    }
  }
})

Deno.test({
  name: "an append carrying an alarm writes it with its time index and queue message; runningWithoutAlarm finds the others",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const queued = await openDenoKvStore(`${temp.dir}/start-alarms.kv`)
    const messages: Array<AlarmMessage> = []
    const listening = queued.kv.listenQueue((message) => {
      if (isAlarmMessage(message)) messages.push(message)
    })
    try {
      const watched = freshId("watched")
      const soon = Date.now() + 200
      await runEffect(queued.append(watched, startedLog(watched, { functionName: "w", at: t(1), length: 1 }), 0, { alarmAt: soon }))
      assert.equal(await queued.alarmAt(watched), soon)
      assert.equal((await queued.kv.get(alarmAtKey(soon, watched))).value, true)
      await until(() => messages.some((m) => m.executionId === watched && m.at === soon), 30_000, "the start's queue message")

      const bare = [freshId("bare"), freshId("bare"), freshId("bare")]
      for (const [i, id] of bare.entries()) await runEffect(queued.append(id, startedLog(id, { functionName: "b", at: t(10 + i), length: 1 }), 0))
      const ended = freshId("ended")
      await runEffect(queued.append(ended, [...startedLog(ended, { functionName: "e", at: t(20), length: 1 }), executionSucceeded(2, t(21))], 0))
      const found: Array<string> = []
      let after: string | undefined
      for (let i = 0; i < 10; i++) {
        const page = await queued.runningWithoutAlarm(after, 2)
        found.push(...page.executionIds)
        if (page.next === undefined) break
        after = page.next
      }
      assert.deepEqual(found.sort(), [...bare].sort())
    } finally {
      queued.close()
      await listening
    }
  }
})

Deno.test({
  name: "(cleanup)",
  fn: async () => {
    store.close()
    await temp.remove()
  }
})

Deno.test({
  name: "a schedule record's compare-and-set (swapConfig) writes only over the text read, also from a second handle on the file",
  fn: () =>
    withTwoHandles(async (store, other) => {
      assert.equal(await store.swapConfig("schedule:cas", undefined, "v1"), true)
      assert.equal(await other.swapConfig("schedule:cas", undefined, "v2"), false, "a writer that saw nothing stored does not overwrite")
      assert.equal(await other.swapConfig("schedule:cas", "v1", "v2"), true)
      assert.equal(await store.swapConfig("schedule:cas", "v1", "v3"), false, "a writer that read v1 loses to the one that replaced it")
      assert.equal(await store.readConfig("schedule:cas"), "v2")
    })
})
