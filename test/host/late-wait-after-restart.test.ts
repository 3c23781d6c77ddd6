/**
 * Issue 19, item 5 ("one wait fired 130 s late" in the crash soak), at the level of the host: a real engine, the
 * in-memory store's ports with their timer wake-ups, and a restart. An execution is suspended on a 1 s wait when
 * its host stops; a new host starts over the same store, and its start-up recovery delivers the alarm before it is
 * due (recovery takes what is due within the watchdog). That delivery is slow (the store's setAlarm takes until
 * after the wait's time, as a loaded machine replaying many executions would), so the actor, which fires only what
 * is due when it looks, leaves the alarm where it was, and it is due when the delivery ends.
 *
 * Before the fix (src/host/alarm-dispatcher.ts, commit 38d9ccf) the dispatcher took that for a delivery that failed
 * to move the alarm: it postponed the wait on the backoff (1 s, doubling per postponement) and reported "delivered
 * but not moved", so the wait fired at least a backoff step late; restarted again and again (the soak's kill loop),
 * each new process postponed it once more. Run against a worktree of 38d9ccf^ (the commit before the fix), this test
 * fails: the alarm postponed once, the "not moved" report, and the wait fired 1,208 ms after its time. With the fix
 * the early delivery is followed at once by one that fires the wait (about 200 ms late: the slow delivery).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { startHost } from "../../src/host/index.ts"
import { memoryPorts } from "../../src/host/memory-ports.ts"
import { durable } from "../../src/index.ts"
import { makeMemoryStore, type MemoryStore } from "../../src/store/memory-store.ts"

const napper = durable("napper", async (_: unknown, ctx) => {
  await ctx.wait("nap", { seconds: 1 })
  return "woke"
})

/** The first backoff step of the alarm dispatcher (defaultAlarmBackoff): the least a postponement adds. */
const FIRST_BACKOFF_MS = 1000
/** How long after the wait's time the slow setAlarm answers. */
const SLOW_PAST_DUE_MS = 200

const sleepUntil = (at: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, at - Date.now()))))

describe("a wait across a restart (issue 19, item 5)", () => {
  it("fires when a recovery delivery made before it was due ends after it fell due: not postponed on the backoff", async () => {
    const store = makeMemoryStore()
    const first = await startHost({ functions: [napper], env: () => undefined, logging: { level: "warn" } }, memoryPorts(store))
    let until: number
    try {
      await first.engine((e) => e.start({ functionName: "napper", executionId: "nap-1" }))
      // Bounded poll: the handler reaches the wait (its WaitStarted is written with its time).
      for (let i = 0; ; i++) {
        const events = await first.engine((e) => e.history("nap-1"))
        const started = events.find((event) => event._tag === "WaitStarted")
        if (started !== undefined && "until" in started) {
          until = started.until as number
          break
        }
        if (i > 400) assert.fail("the wait never started")
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    } finally {
      await first.close() // the process stops while the execution waits
    }
    assert.isAbove(until - Date.now(), 300, "the wait is still ahead when the second host starts")

    // The second host: every setAlarm made before the wait's time answers only after it (a slow delivery).
    const errors: Array<string> = []
    const slow: MemoryStore = {
      ...store,
      setAlarm: (id, at) => Effect.andThen(Date.now() < until ? sleepUntil(until + SLOW_PAST_DUE_MS) : Effect.void, store.setAlarm(id, at))
    }
    const second = await startHost({ functions: [napper], env: () => undefined, logging: { level: "warn" }, onError: (error) => void errors.push(String(error)) }, memoryPorts(slow))
    try {
      const recovered = await second.recovered
      assert.strictEqual(recovered?.due, 1, "recovery delivered the alarm (due within the watchdog)")
      const view = await second.engine((e) => Effect.timeout(e.awaitEnd("nap-1"), "10 seconds"))
      assert.strictEqual(view.result, JSON.stringify("woke"))
      const events = await second.engine((e) => e.history("nap-1"))
      const fired = events.find((event) => event._tag === "WaitSucceeded")!.at
      assert.isAtLeast(fired, until, "not before its time")
      // A postponement puts the wait at least one backoff step after the slow delivery ended (until + 200 ms).
      assert.deepStrictEqual({
        postponed: second.dispatcher.stats.postponed,
        notMovedReports: errors.filter((error) => error.includes("not moved")).length,
        firedABackoffStepLate: fired - until >= SLOW_PAST_DUE_MS + FIRST_BACKOFF_MS
      }, { postponed: 0, notMovedReports: 0, firedABackoffStepLate: false }, `the wait fired ${fired - until} ms after its time`)
    } finally {
      await second.close()
    }
  }, 30_000)
})
