/**
 * Issue 19, the crash soak's stuck callbacks (bench/soak): 12 executions of `soak-callback` stayed RUNNING after
 * their callback's completion was committed, because the store's alarm stayed far away (the callback's timeout, or
 * the execution's) while the execution could run. The invariant: a RUNNING execution that can run has its alarm at
 * most WATCHDOG_MS away, written in the same atomic write as what made it runnable, so that recovery at boot (which
 * delivers the alarms due within the watchdog) resumes it. Both ways the soak broke it, each followed by a crash
 * (the host dropped over its store, a new one booted):
 *
 * 1. The completion is committed and the process dies before its separate alarm write (soak-5476: alarm left at
 *    the callback's timeout). Here the store's setAlarm hangs from the completion on, as a process killed there.
 * 2. An idle eviction's Suspend, decided while the execution waited on its callback, is handled after the
 *    completion: it dropped the watchdog of an execution that was running again (soak-6377: alarm at the
 *    execution's timeout, a year away, while the next step's body ran).
 *
 * 3. The same for a child's outcome, which is written by another execution: the child's end is committed, and the
 *    process dies while it tells its parent (suspended on the invoke, its alarm a year away).
 *
 * Without the fix (src/engine/actor-writes.ts, actor-alarm.ts, evict-when-idle.ts; for 3, the ended child kept
 * watched until its parent is told) each fails: the execution is still RUNNING after the reboot, its alarm an hour
 * (1) or a year (2, 3) away.
 */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { WATCHDOG_MS } from "../../src/engine/index.ts"
import { type Host, startHost } from "../../src/host/index.ts"
import { memoryPorts } from "../../src/host/memory-ports.ts"
import { durable } from "../../src/index.ts"
import { makeMemoryStore, type MemoryStore } from "../../src/store/memory-store.ts"

interface Gate {
  readonly open: () => void
  readonly opened: Promise<void>
}
const makeGate = (): Gate => {
  let open!: () => void
  const opened = new Promise<void>((resolve) => (open = resolve))
  return { open, opened }
}

let recordGate = makeGate()
let recordStarted = makeGate()
let recordRuns = 0
/** The soak's `soak-callback`: a step, a callback an hour long, and a step after it (held by `recordGate`). */
const approval = durable("approval", async (_: unknown, ctx) => {
  await ctx.step("ask", async () => "asked")
  const answer = await ctx.waitForCallback<string>("answer", async () => undefined, { timeout: { hours: 1 } })
  await ctx.step("record", async () => {
    recordRuns++
    recordStarted.open()
    await recordGate.opened
    return "recorded"
  })
  return answer
})

let kidGate = makeGate()
/** A child that ends when `kidGate` opens, and a parent that invokes it. */
const kid = durable("kid", async (_: unknown, ctx) => ctx.step("play", async () => (await kidGate.opened, "played")))
const caller = durable("caller", async (_: unknown, ctx) => ctx.invoke("call", "kid", {}))

const hosts: Array<Host> = []
afterEach(async () => {
  recordGate.open()
  kidGate.open()
  for (const host of hosts.splice(0)) await host.close()
})

/** A host over `store` that evicts only when told (no periodic eviction racing the test). */
const boot = async (store: MemoryStore) => {
  const host = await startHost(
    { functions: [approval, kid, caller], env: () => undefined, logging: { level: "error" }, evictEveryMs: 3_600_000 },
    memoryPorts(store)
  )
  hosts.push(host)
  // Nothing of recovery still under way when the test's own work starts: a late Alarm delivered to an execution
  // after the "kill" would hang at its alarm write, and the host's close with it (it waits for deliveries).
  await host.recovered
  return host
}

/** Drops the host without anything more written: what a SIGKILL leaves is the store as it is. */
const crash = async (host: Host) => {
  hosts.splice(hosts.indexOf(host), 1)
  await host.close()
}

/** The callback id once the handler has created its callback (a bounded poll of the history). */
const callbackIdOf = async (host: Host, executionId: string): Promise<string> => {
  for (let i = 0; i < 400; i++) {
    const events = await host.engine((e) => e.history(executionId))
    const started = events.find((event) => event._tag === "CallbackStarted")
    if (started !== undefined && "callbackId" in started && typeof started.callbackId === "string") return started.callbackId
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  return assert.fail(`${executionId} never created its callback`)
}

const alarmOf = (store: MemoryStore, executionId: string) => Effect.runPromise(store.getAlarm(executionId))

/** After a reboot over `store`, the execution must end (its recovery resumes it); its view, or why not. */
const rebootAndFinish = async (store: MemoryStore, executionId: string) => {
  const alarm = await alarmOf(store, executionId)
  recordGate.open()
  const host = await boot(store)
  await host.recovered
  const ended = await host.engine((e) => Effect.timeout(e.awaitEnd(executionId), "5 seconds")).catch(() => undefined)
  assert.isDefined(ended, `${executionId} is still RUNNING after the reboot; its alarm was ${alarm === undefined ? "none" : `${alarm - Date.now()} ms away`}`)
  assert.strictEqual(ended!.status, "SUCCEEDED")
  assert.strictEqual(ended!.result, JSON.stringify("yes"))
}

describe("a committed callback completion survives a crash (issue 19, stuck soak-callback executions)", () => {
  it("killed right after the completion's commit, before any other write: the reboot resumes the execution", async () => {
    recordGate = makeGate()
    recordStarted = makeGate()
    recordRuns = 0
    const inner = makeMemoryStore()
    let killed = false
    // From the kill on, a separate alarm write never lands (the process died at it).
    const store: MemoryStore = { ...inner, setAlarm: (id, at) => Effect.suspend(() => (killed ? Effect.never : inner.setAlarm(id, at))) }
    const first = await boot(store)
    await first.engine((e) => e.start({ functionName: "approval", executionId: "cb-1" }))
    const callbackId = await callbackIdOf(first, "cb-1")
    // Idle on its callback: the watchdog is dropped, the alarm is the callback's timeout (an hour away).
    await first.engine((e) => e.settle("cb-1"))
    assert.isAbove((await alarmOf(inner, "cb-1"))! - Date.now(), WATCHDOG_MS, "suspended: the alarm is the callback's timeout")

    killed = true
    await first.engine((e) => e.completeCallback(callbackId, { ok: true, result: "yes" })) // committed (204)
    await crash(first)

    await rebootAndFinish(inner, "cb-1")
  }, 30_000)

  it("an idle eviction's Suspend handled after the completion leaves the watchdog of the running execution in place", async () => {
    recordGate = makeGate()
    recordStarted = makeGate()
    recordRuns = 0
    const inner = makeMemoryStore()
    // The first candidate's alarm write (its Suspend) is held, so the eviction reaches the second one late.
    let holdA: Gate | undefined
    const reachedA = makeGate()
    const store: MemoryStore = {
      ...inner,
      setAlarm: (id, at) =>
        id === "a" && holdA !== undefined
          ? Effect.andThen(Effect.promise(() => (reachedA.open(), holdA!.opened)), inner.setAlarm(id, at))
          : inner.setAlarm(id, at)
    }
    const first = await boot(store)
    await first.engine((e) => e.start({ functionName: "approval", executionId: "a" }))
    await first.engine((e) => e.start({ functionName: "approval", executionId: "b" }))
    await callbackIdOf(first, "a")
    const callbackB = await callbackIdOf(first, "b")
    // Both idle on their callbacks (settled: neither has anything more to do by itself).
    await first.engine((e) => e.settle("a"))
    await first.engine((e) => e.settle("b"))
    await first.engine((e) => Effect.all([e.alarm("a"), e.alarm("b")])) // as a due watchdog would: both watched again

    holdA = makeGate()
    const eviction = first.engine((e) => e.evictIdle())
    await reachedA.opened // the eviction chose a and b, and is at a's Suspend
    await first.engine((e) => e.completeCallback(callbackB, { ok: true, result: "yes" }))
    await recordStarted.opened // b runs again: its next step's body is running
    holdA.open()
    await eviction

    await crash(first) // killed while b's step body runs

    await rebootAndFinish(inner, "b")
    assert.strictEqual(recordRuns, 2, "the step body cut short by the crash ran again, once")
  }, 30_000)

  it("a child that ended while its parent was being told: the reboot tells the parent again", async () => {
    kidGate = makeGate()
    const inner = makeMemoryStore()
    // From the kill on, the parent's write of the child's outcome never lands (the process died at it).
    let killed = false
    const reached = makeGate()
    const store: MemoryStore = {
      ...inner,
      append: (id, events, expectedSeq, options) =>
        Effect.suspend(() =>
          killed && id === "p" ? (reached.open(), Effect.never) : inner.append(id, events, expectedSeq, options)
        )
    }
    const first = await boot(store)
    await first.engine((e) => e.start({ functionName: "caller", executionId: "p" }))
    let child: string | undefined
    for (let i = 0; i < 400 && child === undefined; i++) {
      const events = await first.engine((e) => e.history("p"))
      const invoked = events.find((event) => event._tag === "InvokeStarted")
      if (invoked !== undefined && "childExecutionId" in invoked) child = invoked.childExecutionId as string
      else await new Promise((resolve) => setTimeout(resolve, 5))
    }
    assert.isDefined(child, "the parent invoked its child")
    await first.engine((e) => e.settle("p")) // idle on the invoke: the parent's alarm is its timeout, a year away

    killed = true
    kidGate.open()
    const ended = await first.engine((e) => Effect.timeout(e.awaitEnd(child!), "5 seconds"))
    assert.strictEqual(ended.status, "SUCCEEDED", "the child's end is committed")
    await reached.opened // the child is telling its parent
    await crash(first)

    const alarm = await alarmOf(inner, "p")
    const second = await boot(inner)
    await second.recovered
    const done = await second.engine((e) => Effect.timeout(e.awaitEnd("p"), "5 seconds")).catch(() => undefined)
    assert.isDefined(done, `p is still RUNNING after the reboot; its alarm was ${alarm === undefined ? "none" : `${alarm - Date.now()} ms away`}`)
    assert.strictEqual(done!.status, "SUCCEEDED")
    assert.strictEqual(done!.result, JSON.stringify("played"))
  }, 30_000)
})
