import { assert, describe, it } from "@effect/vitest"
import { durable, schedule, ScheduleConfigError } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"
import { fixedStart } from "../testing/fixed-start.ts"

const DAY = 24 * 3600 * 1000
const HOUR = 3600 * 1000

/** Records every run of its step, with the execution's own time. */
const reporting = (runs: Array<string>) =>
  durable("report", async (input: { kind?: string } | undefined, ctx) => {
    const now = await ctx.now()
    await ctx.step("send", async () => void runs.push(`${input?.kind ?? "report"} ${now.toISOString()}`))
    return "sent"
  })

/** Runs for `hours` of its own time (a durable wait), so that ticks can overlap it. */
const slow = durable("slow", async (hours: number, ctx) => {
  await ctx.wait("work", { hours })
  return "done"
})

const statuses = async (runner: ReturnType<typeof createTestRunner>, ids: ReadonlyArray<string>) =>
  Promise.all(ids.map(async (id) => (await runner.execution(id)).status))

describe("schedules in the test runner", () => {
  it("runs a daily schedule 30 times over 30 virtual days, each execution with the id derived from its tick", async () => {
    const runs: Array<string> = []
    const runner = createTestRunner({
      ...fixedStart,
      functions: [reporting(runs)],
      schedules: [schedule("nightly", { function: "report", cron: "0 2 * * *", input: { kind: "nightly" } })]
    })
    const begun = performance.now()
    const started = await runner.advanceSchedules({ days: 30 })
    const tookMs = performance.now() - begun
    const expected = Array.from({ length: 30 }, (_, i) => new Date(Date.UTC(2026, 0, 1 + i, 2)).toISOString().replace(".000Z", "Z"))
    assert.deepStrictEqual(started, expected.map((t) => `nightly:${t}`))
    assert.deepStrictEqual(runs, expected.map((t) => `nightly ${t.replace("Z", ".000Z")}`))
    for (const id of started) assert.strictEqual((await runner.execution(id)).status, "SUCCEEDED")
    const [view] = await runner.listSchedules()
    assert.strictEqual(view!.started, 30)
    assert.strictEqual(view!.skipped, 0)
    assert.strictEqual(view!.nextTickAt, Date.UTC(2026, 0, 31, 2))
    // Ticks already handled are not handled again: more time starts only the ticks that come.
    assert.deepStrictEqual(await runner.advanceSchedules({ hours: 23 }), ["nightly:2026-01-31T02:00:00Z"])
    console.log(`30 virtual days of a daily schedule: ${tookMs.toFixed(0)} ms`)
    await runner.dispose()
  })

  it("skip: no start while the previous execution of the schedule runs; the skipped ticks are recorded", async () => {
    const runner = createTestRunner({
      ...fixedStart,
      functions: [slow],
      schedules: [schedule("hourly", { function: slow, cron: "0 * * * *", overlap: "skip", input: 2.5 })]
    })
    const started = await runner.advanceSchedules({ hours: 6, minutes: 30 })
    // 01:00 runs until 03:30 (02:00 and 03:00 skipped), 04:00 until 06:30 (05:00 and 06:00 skipped).
    assert.deepStrictEqual(started, ["hourly:2026-01-01T01:00:00Z", "hourly:2026-01-01T04:00:00Z"])
    assert.deepStrictEqual(await statuses(runner, started), ["SUCCEEDED", "SUCCEEDED"])
    const [view] = await runner.listSchedules()
    assert.strictEqual(view!.skipped, 4)
    // Consecutive skipped ticks are recorded as one run.
    assert.deepStrictEqual(view!.recentSkips.map((s) => [s.reason, new Date(s.firstTickAt).getUTCHours(), new Date(s.lastTickAt).getUTCHours(), s.count]), [
      ["overlap", 2, 3, 2],
      ["overlap", 5, 6, 2]
    ])
    await runner.dispose()
  })

  it("buffer-one: one start waits for the previous to end; more ticks meanwhile are skipped", async () => {
    const runner = createTestRunner({
      ...fixedStart,
      functions: [slow],
      schedules: [schedule("hourly", { function: slow, cron: "0 * * * *", overlap: "buffer-one", input: 2.5 })]
    })
    const started = await runner.advanceSchedules({ hours: 6, minutes: 45 })
    // A (01:00) runs to 03:30; 02:00 is buffered behind it, 03:00 skipped (one is buffered already). B (the 02:00
    // tick) starts when A ends, 03:30, and runs to 06:00; 04:00 is buffered behind it, 05:00 skipped. At 06:00 B
    // ends and C (the 04:00 tick) starts; the 06:00 tick finds C running and is buffered.
    assert.deepStrictEqual(started, ["hourly:2026-01-01T01:00:00Z", "hourly:2026-01-01T02:00:00Z", "hourly:2026-01-01T04:00:00Z"])
    const startedAt = await Promise.all(started.map(async (id) => new Date((await runner.execution(id)).history[0]!.at).toISOString()))
    assert.deepStrictEqual(startedAt, ["2026-01-01T01:00:00.000Z", "2026-01-01T03:30:00.000Z", "2026-01-01T06:00:00.000Z"])
    assert.deepStrictEqual(await statuses(runner, started), ["SUCCEEDED", "SUCCEEDED", "RUNNING"])
    const [view] = await runner.listSchedules()
    assert.deepStrictEqual(view!.buffered, { tickAt: Date.UTC(2026, 0, 1, 6), executionId: "hourly:2026-01-01T06:00:00Z" })
    assert.deepStrictEqual(view!.recentSkips.map((s) => [new Date(s.firstTickAt).getUTCHours(), s.count]), [[3, 1], [5, 1]])
    // The buffered start goes once C ends (08:30).
    assert.deepStrictEqual(await runner.advanceSchedules({ hours: 2 }), ["hourly:2026-01-01T06:00:00Z"])
    await runner.dispose()
  })

  it("allow: every tick starts, whatever runs", async () => {
    const runner = createTestRunner({
      ...fixedStart,
      functions: [slow],
      schedules: [schedule("hourly", { function: slow, cron: "0 * * * *", overlap: "allow", input: 2.5 })]
    })
    const started = await runner.advanceSchedules({ hours: 3, minutes: 1 })
    assert.deepStrictEqual(started, ["hourly:2026-01-01T01:00:00Z", "hourly:2026-01-01T02:00:00Z", "hourly:2026-01-01T03:00:00Z"])
    assert.deepStrictEqual(await statuses(runner, started), ["RUNNING", "RUNNING", "RUNNING"])
    assert.strictEqual((await runner.listSchedules())[0]!.skipped, 0)
    await runner.dispose()
  })

  it("cancel-previous: a tick stops the previous execution, then starts its own", async () => {
    const runner = createTestRunner({
      ...fixedStart,
      functions: [slow],
      schedules: [schedule("hourly", { function: slow, cron: "0 * * * *", overlap: "cancel-previous", input: 2.5 })]
    })
    const started = await runner.advanceSchedules({ hours: 3, minutes: 1 })
    assert.deepStrictEqual(started, ["hourly:2026-01-01T01:00:00Z", "hourly:2026-01-01T02:00:00Z", "hourly:2026-01-01T03:00:00Z"])
    assert.deepStrictEqual(await statuses(runner, started), ["STOPPED", "STOPPED", "RUNNING"])
    const stopped = await runner.execution(started[0]!)
    assert.strictEqual(stopped.error?.errorType, "ScheduleOverlap")
    assert.match(stopped.error!.errorMessage!, /hourly:2026-01-01T02:00:00Z/)
    await runner.dispose()
  })

  it("pause skips ticks until resumed; trigger starts one now under the overlap policy", async () => {
    const runs: Array<string> = []
    const runner = createTestRunner({ ...fixedStart, functions: [reporting(runs)], schedules: [schedule("daily", { function: "report", cron: "@daily" })] })
    assert.strictEqual((await runner.pauseSchedule("daily")).paused, true)
    assert.deepStrictEqual(await runner.advanceSchedules({ days: 3 }), [])
    const resumed = await runner.resumeSchedule("daily")
    assert.strictEqual(resumed.paused, false)
    assert.deepStrictEqual(resumed.recentSkips, [{ reason: "paused", firstTickAt: Date.UTC(2026, 0, 2), lastTickAt: Date.UTC(2026, 0, 4), count: 3 }])
    const triggered = await runner.triggerSchedule("daily")
    assert.deepStrictEqual(triggered, { executionId: "daily:trigger:2026-01-04T00:00:00.000Z", outcome: "started" })
    assert.deepStrictEqual(await runner.advanceSchedules({ days: 1 }), ["daily:2026-01-05T00:00:00Z"])
    assert.deepStrictEqual(runs, ["report 2026-01-04T00:00:00.000Z", "report 2026-01-05T00:00:00.000Z"])
    await runner.dispose()
  })

  it("skip counts a previous execution that has not ended as running: queued behind a flow limit, or paused", async () => {
    const debounced = durable("debounced", async () => "ran", { debounce: { period: { minutes: 90 } } })
    const runner = createTestRunner({
      ...fixedStart,
      functions: [debounced, slow],
      schedules: [
        schedule("queued", { function: debounced, cron: "0 * * * *", overlap: "skip" }),
        schedule("paused", { function: slow, cron: "0 * * * *", overlap: "skip", input: 0.5 })
      ]
    })
    await runner.advanceSchedules({ hours: 1, minutes: 10 })
    assert.strictEqual((await runner.execution("queued:2026-01-01T01:00:00Z")).status, "QUEUED") // debounced until 02:30
    await (await runner.execution("paused:2026-01-01T01:00:00Z")).pause()
    const started = await runner.advanceSchedules({ hours: 1 })
    assert.deepStrictEqual(started, [], "the 02:00 ticks found their previous executions queued and paused")
    for (const view of await runner.listSchedules()) {
      assert.deepStrictEqual(view.recentSkips, [{ reason: "overlap", firstTickAt: Date.UTC(2026, 0, 1, 2), lastTickAt: Date.UTC(2026, 0, 1, 2), count: 1 }], view.name)
    }
    await runner.dispose()
  })

  it("skip: an execution that continued as new runs on in its next run, which the schedules' time moves along", async () => {
    const legs = durable("legs", async (input: { hours: number; leg: number }, ctx) => {
      if (input.leg === 1) return ctx.continueAsNew({ ...input, leg: 2 })
      await ctx.wait("work", { hours: input.hours })
      return "done"
    })
    const runner = createTestRunner({
      ...fixedStart,
      functions: [legs],
      schedules: [schedule("hourly", { function: legs, cron: "0 * * * *", overlap: "skip", input: { hours: 2.5, leg: 1 } })]
    })
    const started = await runner.advanceSchedules({ hours: 6, minutes: 30 })
    // 01:00 continues at once as 01:00~2, which runs until 03:30 (02:00 and 03:00 skipped); 04:00 the same.
    assert.deepStrictEqual(started, ["hourly:2026-01-01T01:00:00Z", "hourly:2026-01-01T04:00:00Z"])
    const ended = await runner.execution("hourly:2026-01-01T01:00:00Z~2")
    assert.deepStrictEqual([ended.status, ended.history.at(-1)!.at], ["SUCCEEDED", Date.UTC(2026, 0, 1, 3, 30)])
    assert.strictEqual((await runner.listSchedules())[0]!.skipped, 4)
    await runner.dispose()
  })

  it("a paused schedule does not start its buffered execution; resumed, it does", async () => {
    const runner = createTestRunner({
      ...fixedStart,
      functions: [slow],
      schedules: [schedule("hourly", { function: slow, cron: "0 * * * *", overlap: "buffer-one", input: 1.5 })]
    })
    assert.deepStrictEqual(await runner.advanceSchedules({ hours: 2, minutes: 10 }), ["hourly:2026-01-01T01:00:00Z"]) // 02:00 buffered
    await runner.pauseSchedule("hourly")
    assert.deepStrictEqual(await runner.advanceSchedules({ minutes: 30 }), [], "the one ahead ended at 02:30, but the schedule is paused")
    assert.strictEqual((await runner.listSchedules())[0]!.buffered?.executionId, "hourly:2026-01-01T02:00:00Z")
    await runner.resumeSchedule("hourly")
    assert.deepStrictEqual(await runner.advanceSchedules({ minutes: 1 }), ["hourly:2026-01-01T02:00:00Z"])
    await runner.dispose()
  })

  it("a tick whose start the function refuses is skipped and recorded, and the next ticks go on", async () => {
    const keyed = durable("keyed", async (input: { k: string }) => input.k, { concurrency: { limit: 1, key: (input) => input.k } })
    const runner = createTestRunner({
      ...fixedStart,
      functions: [keyed],
      schedules: [schedule("no-key", { function: keyed, cron: "0 * * * *", input: { nok: 1 } as never })]
    })
    assert.deepStrictEqual(await runner.advanceSchedules({ hours: 3, minutes: 30 }), [])
    const [view] = await runner.listSchedules()
    assert.deepStrictEqual(
      [view!.started, view!.skipped, view!.nextTickAt, view!.recentSkips],
      [0, 3, Date.UTC(2026, 0, 1, 4), [{ reason: "refused", firstTickAt: Date.UTC(2026, 0, 1, 1), lastTickAt: Date.UTC(2026, 0, 1, 3), count: 3 }]]
    )
    // A trigger's refusal is the caller's answer.
    const triggered = await runner.triggerSchedule("no-key").then(() => "started", (error: unknown) => (error as { _tag?: string })._tag)
    assert.strictEqual(triggered, "InvalidRequest")
    await runner.dispose()
  })

  it("a trigger of a debounced function answers with the execution that waits, the one its start collapsed into", async () => {
    const debounced = durable("debounced", async () => "ran", { debounce: { period: { seconds: 30 } } })
    const runner = createTestRunner({ ...fixedStart, functions: [debounced], schedules: [schedule("manual", { function: debounced, cron: "@yearly", overlap: "allow" })] })
    const first = await runner.triggerSchedule("manual")
    await runner.advanceSchedules({ seconds: 5 })
    const second = await runner.triggerSchedule("manual")
    assert.deepStrictEqual(second, { executionId: first.executionId, outcome: "started" })
    assert.strictEqual((await runner.execution(second.executionId)).status, "QUEUED")
    assert.strictEqual((await runner.listSchedules())[0]!.lastExecutionId, first.executionId)
    await runner.dispose()
  })

  it("skip: a second trigger in the same (virtual) millisecond while the first runs is skipped, and counted once", async () => {
    const runner = createTestRunner({ ...fixedStart, functions: [slow], schedules: [schedule("daily", { function: "slow", cron: "@daily", input: 5 })] })
    const first = await runner.triggerSchedule("daily")
    const second = await runner.triggerSchedule("daily")
    const [view] = await runner.listSchedules()
    assert.deepStrictEqual([first.outcome, second.outcome, view!.started], ["started", "skipped", 1])
    await runner.dispose()
  })

  it("refuses bad configuration when the schedule is declared or registered", () => {
    const refused = (make: () => unknown, pattern: RegExp) => {
      try {
        make()
      } catch (error) {
        assert.instanceOf(error, ScheduleConfigError)
        assert.match((error as Error).message, pattern)
        return
      }
      assert.fail(`not refused: ${pattern}`)
    }
    refused(() => schedule("bad", { function: "report", cron: "61 * * * *" }), /Schedule "bad": cron "61 \* \* \* \*": minute 61 is outside 0-59/)
    refused(() => schedule("bad", { function: "report", cron: "0 9 * * *", timezone: "Europe/Atlantis" }), /unknown time zone "Europe\/Atlantis"/)
    refused(() => schedule("bad", { function: "report", cron: "0 9 * * *", timezone: 2 as never }), /unknown time zone 2/)
    refused(() => schedule("bad", { function: "report", cron: "@daily", input: (() => 1) as never }), /the input is not serialisable as JSON: a function/)
    // The zone's own name is kept: the stored record compares it, and a change of case alone reset the next tick.
    assert.strictEqual(schedule("paris", { function: "report", cron: "0 9 * * *", timezone: "europe/paris" }).timezone, "Europe/Paris")
    refused(() => schedule("bad", { function: "report", cron: "0 0 30 2 *" }), /never matches/)
    refused(() => schedule("bad", { function: "report", cron: "@daily", overlap: "queue" as never }), /overlap must be one of/)
    refused(() => schedule("bad", { function: "report", cron: "@daily", catchUp: { minutes: -1 } }), /catchUp.minutes/)
    // A window shorter than a tick's delivery skipped every tick on a server (found by the probe: catchUp 0).
    refused(() => schedule("bad", { function: "report", cron: "@daily", catchUp: { seconds: 0 } }), /catchUp must be at least 1 second, got 0 ms/)
    refused(() => schedule("bad", { function: "report", cron: "@daily", catchUp: { seconds: 0.5 } }), /at least 1 second/)
    assert.strictEqual(schedule("ok", { function: "report", cron: "@daily", catchUp: { seconds: 1 } }).catchUpMs, 1000)
    refused(() => schedule("no spaces", { function: "report", cron: "@daily" }), /schedule name/)
    const ok = schedule("daily", { function: "missing", cron: "@daily" })
    refused(() => createTestRunner({ ...fixedStart, functions: [slow], schedules: [ok] }), /starts "missing", which is not among the registered functions/)
    const twice = schedule("daily", { function: slow, cron: "@daily" })
    refused(() => createTestRunner({ ...fixedStart, functions: [slow], schedules: [twice, twice] }), /Two schedules are named "daily"/)
  })
})

describe("catch-up after downtime", () => {
  it("runs the missed ticks inside the catch-up window and records older ones as skipped", async () => {
    const runs: Array<string> = []
    const runner = createTestRunner({
      ...fixedStart,
      functions: [reporting(runs)],
      schedules: [schedule("hourly", { function: "report", cron: "0 * * * *", overlap: "allow", catchUp: { hours: 2, minutes: 30 } })]
    })
    await runner.listSchedules() // the record is made: next tick 01:00
    // Down from 00:00 to 10:15: ticks 01:00-07:00 are older than the window, 08:00-10:00 inside it.
    runner.scheduleClock.setTime(Date.UTC(2026, 0, 1, 10, 15))
    const started = await runner.advanceSchedules(0)
    assert.deepStrictEqual(started, ["hourly:2026-01-01T08:00:00Z", "hourly:2026-01-01T09:00:00Z", "hourly:2026-01-01T10:00:00Z"])
    const [view] = await runner.listSchedules()
    assert.deepStrictEqual(view!.recentSkips, [{ reason: "catch-up", firstTickAt: Date.UTC(2026, 0, 1, 1), lastTickAt: Date.UTC(2026, 0, 1, 7), count: 7 }])
    assert.strictEqual(view!.nextTickAt, Date.UTC(2026, 0, 1, 11))
    // Handled once: the same time again starts nothing.
    assert.deepStrictEqual(await runner.advanceSchedules(0), [])
    assert.strictEqual(runs.length, 3)
    await runner.dispose()
  })

  it("a tick whose execution is already there (a delivery cut off before its save) does not let a later tick start too", async () => {
    const runner = createTestRunner({
      ...fixedStart,
      functions: [slow],
      schedules: [schedule("hourly", { function: slow, cron: "0 * * * *", overlap: "skip", catchUp: { hours: 5 }, input: 0.01 })]
    })
    await runner.listSchedules() // the record is made: next tick 01:00
    // 03:00's execution exists and has ended: its delivery started it, then the server died before saving the record.
    const cutOff = await runner.run("slow", 0.01, { executionId: "hourly:2026-01-01T03:00:00Z" })
    assert.strictEqual(cutOff.status, "SUCCEEDED")
    runner.scheduleClock.setTime(Date.UTC(2026, 0, 1, 4, 30))
    // One delivery walks 01:00 (started), 02:00 (overlaps it), 03:00 (there already), 04:00 (overlaps 01:00's start).
    assert.deepStrictEqual(await runner.advanceSchedules(0), ["hourly:2026-01-01T01:00:00Z"])
    await runner.dispose()
  })
})
