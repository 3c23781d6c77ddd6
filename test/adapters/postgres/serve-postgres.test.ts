/**
 * reprise/node's server on PostgreSQL, over HTTP: an execution with a step, a 1 s durable wait and a callback, with
 * the server closed during the wait and served again on the same database (the new host resumes the wait from the
 * alarm table, and the callback id signed by the first host is accepted by the second: the secret is kept in meta).
 * Two hosts on one database: an alarm is the holder's to deliver, and the other host's engine declines it.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { durable, schedule } from "reprise"
import { servePostgres, type PostgresServer as Server } from "../../../adapters/postgres/serve-postgres.ts"
import { type PostgresServer, startPostgres } from "./postgres-server.ts"

let postgres: PostgresServer

beforeAll(async () => {
  postgres = await startPostgres()
}, 90_000)

afterAll(async () => {
  await postgres?.stop()
}, 40_000)

const call = async (server: Server, method: string, path: string, body?: unknown) => {
  const response = await fetch(server.url + path, {
    method,
    // Writes are JSON only (the HTTP API refuses other bodies): a POST without one sends {}.
    ...(method === "GET" ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body ?? {}) })
  })
  const text = await response.text()
  return { status: response.status, body: text === "" ? undefined : JSON.parse(text) }
}

const until = async (check: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** The function under test, counting its step bodies and collecting the callback ids it hands out. */
const makeFunction = () => {
  const calls = { greet: 0 }
  const inbox: Array<string> = []
  const fn = durable("pg-greeting", async (input: { name: string }, ctx) => {
    const greeting = await ctx.step("greet", async () => {
      calls.greet++
      return `Hello, ${input.name}`
    })
    await ctx.wait("pause", { seconds: 1 })
    const answer = await ctx.waitForCallback("approve", async (callbackId) => void inbox.push(callbackId))
    return { greeting, answer: JSON.parse(answer) as { approved: boolean } }
  })
  return { fn, calls, inbox }
}

describe("reprise/node's server on PostgreSQL", () => {
  it("refuses a bad setting before it reaches the database", async () => {
    // Nothing listens on port 1: a check made after connecting would fail on the connection instead.
    const refused = await servePostgres({ functions: [], url: "postgres://reprise@127.0.0.1:1/none", requestTimeoutMs: 0 }).then(() => undefined, (error: unknown) => error)
    assert.instanceOf(refused, TypeError)
    assert.match((refused as Error).message, /^requestTimeoutMs must be a whole number of milliseconds/)
  })

  it("runs a step, a 1 s wait and a callback over HTTP, resuming the wait after a restart on the same database", async () => {
    const { fn, calls, inbox } = makeFunction()
    const options = { functions: [fn], url: postgres.url, schema: "served", port: 0, handleSignals: false, evictEveryMs: 200 }
    let server = await servePostgres(options)
    try {
      const started = await call(server, "POST", "/v1/functions/pg-greeting/executions", { input: { name: "Ada" } })
      assert.strictEqual(started.status, 201)
      const id = started.body.executionId as string
      const waiting = async () => {
        const history = await call(server, "GET", `/v1/executions/${id}/history`)
        return (history.body.events as Array<{ _tag: string; until?: number }>).find((e) => e._tag === "WaitStarted")
      }
      await until(async () => (await waiting()) !== undefined, "the step to run and the wait to start")
      assert.strictEqual(calls.greet, 1)
      const alarm = await server.engine(() => server.store.getAlarm(id))
      assert.isAtMost(alarm!, (await waiting())!.until!, "the alarm table holds an alarm for the wait (or earlier)")

      // Closed during the wait: nothing of this host is left; the next one must find the wait in the database.
      await server.close()
      assert.strictEqual(inbox.length, 0, "the wait had not ended before the restart")
      server = await servePostgres(options)

      await until(() => inbox.length === 1, "the wait to end and the callback to be handed out")
      const completed = await call(server, "POST", `/v1/callbacks/${encodeURIComponent(inbox[0]!)}/succeed`, { result: JSON.stringify({ approved: true }) })
      assert.strictEqual(completed.status, 204)
      await until(async () => (await call(server, "GET", `/v1/executions/${id}`)).body.status !== "RUNNING", "the execution to end")

      const view = await call(server, "GET", `/v1/executions/${id}`)
      assert.strictEqual(view.body.status, "SUCCEEDED")
      assert.deepStrictEqual(view.body.result, { greeting: "Hello, Ada", answer: { approved: true } })
      assert.strictEqual(calls.greet, 1, "the step body ran once across both hosts")
      const history = await call(server, "GET", `/v1/executions/${id}/history`)
      const tags = (history.body.events as Array<{ _tag: string }>).map((e) => e._tag)
      assert.strictEqual(tags[0], "ExecutionStarted")
      assert.includeMembers(tags, ["StepSucceeded", "WaitSucceeded", "CallbackSucceeded"])
      assert.strictEqual(tags.at(-1), "ExecutionSucceeded")
      const listed = await call(server, "GET", "/v1/executions?functionName=pg-greeting")
      assert.deepStrictEqual((listed.body.executions as Array<{ executionId: string; status: string }>).map((e) => [e.executionId, e.status]), [[id, "SUCCEEDED"]])
    } finally {
      await server.close()
    }
  }, 30_000)

  // Issue 15: every host's timer sees every alarm. The engine of a host that does not hold the execution answered
  // as if it had delivered it, and its dispatcher, seeing the alarm unmoved, postponed it from under the holder.
  it("two hosts: the engine of the host that does not hold an execution declines its alarm, and leaves it in place", async () => {
    const paused = durable("pg-held", async (_: unknown, ctx) => {
      await ctx.step("first", async () => "done")
      await ctx.wait("pause", { seconds: 60 })
      return "over"
    })
    // No eviction meanwhile: the actor, and with it the lease, stays on host a.
    const options = { functions: [paused], url: postgres.url, schema: "held", port: 0, handleSignals: false, evictEveryMs: 600_000 }
    const a = await servePostgres({ ...options, leases: { hostId: "a", leaseMs: 1_000 } })
    const b = await servePostgres({ ...options, leases: { hostId: "b", leaseMs: 1_000 } })
    try {
      const started = await call(a, "POST", "/v1/functions/pg-held/executions", { input: {} })
      const id = started.body.executionId as string
      await until(async () => (await call(b, "GET", `/v1/executions/${id}/history`)).body.events.some((e: { _tag: string }) => e._tag === "WaitStarted"), "the wait")
      const alarmAt = await a.engine(() => a.store.getAlarm(id))
      assert.isDefined(alarmAt)
      assert.isFalse(await b.engine((engine) => engine.alarm(id)), "held by a: b declines it")
      assert.strictEqual(await b.engine(() => b.store.getAlarm(id)), alarmAt, "and leaves it where it was")
      assert.isTrue(await a.engine((engine) => engine.alarm(id)), "a, the holder, takes it")
      assert.strictEqual((await call(b, "GET", `/v1/executions/${id}`)).body.status, "RUNNING")
    } finally {
      await b.close()
      await a.close()
    }
  }, 30_000)

  // Found from outside: a host that took the lease for a start gave it back at once when another host starting the
  // same id asked for it, before its actor existed. Its appends were then fenced, its actor stopped, and the
  // execution waited for its watchdog (30 s) on no host, and ran its first step again there.
  it("one id started through three hosts at once: one execution, each step body once, ended without waiting for the watchdog", async () => {
    const bodies = new Map<string, number>()
    const counted = (name: string) => bodies.set(name, (bodies.get(name) ?? 0) + 1)
    const raced = durable("pg-raced", async (input: { name: string }, ctx) => {
      await ctx.step("first", async () => counted(`${input.name} first`))
      await ctx.step("second", async () => counted(`${input.name} second`))
      return input.name
    })
    const options = { functions: [raced], url: postgres.url, schema: "raced", port: 0, handleSignals: false }
    const hosts = await Promise.all(["a", "b", "c"].map((hostId) => servePostgres({ ...options, leases: { hostId, leaseMs: 1_500 } })))
    try {
      const names = Array.from({ length: 10 }, (_, i) => `raced-${i}`)
      const answers = await Promise.all(names.flatMap((name) =>
        hosts.map((host) => call(host, "POST", "/v1/functions/pg-raced/executions?wait=10", { executionName: name, input: { name } }))))
      for (const [i, name] of names.entries()) {
        const mine = answers.slice(i * 3, i * 3 + 3)
        assert.deepStrictEqual(mine.map((answer) => answer.body.executionId), [name, name, name])
        assert.strictEqual(mine.filter((answer) => answer.status === 201).length, 1, `${name}: one host started it`)
      }
      // 8 s: far below the 30 s watchdog that once was the only way on for a start given back half-way.
      for (const name of names) {
        await until(async () => (await call(hosts[0]!, "GET", `/v1/executions/${name}`)).body.status === "SUCCEEDED", `${name} to end`, 8_000)
      }
      for (const name of names) {
        assert.strictEqual(bodies.get(`${name} first`), 1, `${name}: its first step ran once`)
        assert.strictEqual(bodies.get(`${name} second`), 1, `${name}: its second step ran once`)
      }
    } finally {
      await Promise.all(hosts.map((host) => host.close()))
    }
  }, 60_000)

  it("two hosts: an execution that ended on one is deleted through the other (which takes it over): gone on both, its name free", async () => {
    const erased = durable("pg-erased", async (input: { email: string }, ctx) => ctx.step("welcome", async () => `welcome ${input.email}`))
    const options = { functions: [erased], url: postgres.url, schema: "erased", port: 0, handleSignals: false }
    const [a, b] = await Promise.all(["a", "b"].map((hostId) => servePostgres({ ...options, leases: { hostId, leaseMs: 1_500 } })))
    try {
      const ended = await call(a!, "POST", "/v1/functions/pg-erased/executions?wait=10", { executionName: "erase-pg", input: { email: "ada@example.com" } })
      assert.strictEqual(ended.body.status, "SUCCEEDED")
      assert.strictEqual((await call(b!, "DELETE", "/v1/executions/erase-pg")).status, 204)
      for (const host of [a!, b!]) {
        assert.strictEqual((await call(host, "GET", "/v1/executions/erase-pg")).status, 404)
        assert.deepStrictEqual((await call(host, "GET", "/v1/executions")).body.executions, [])
      }
      assert.strictEqual((await call(a!, "DELETE", "/v1/executions/erase-pg")).status, 404, "a second delete finds nothing")
      const again = await call(b!, "POST", "/v1/functions/pg-erased/executions?wait=10", { executionName: "erase-pg", input: { email: "bo@example.com" } })
      assert.deepStrictEqual([again.status, again.body.status], [201, "SUCCEEDED"], "a new execution under the name, as after retention")
    } finally {
      await Promise.all([a?.close(), b?.close()])
    }
  }, 60_000)

  // Found from outside: the resumed execution waited on host b for the slot the queued start had taken meanwhile,
  // with its handler on a callback; that looked idle, b's idle eviction dropped it, and it stayed RUNNING for good.
  it("a paused execution under a concurrency limit, resumed through another host while a queued start took its slot, goes on once the slot frees", async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const submitted = new Map<string, string>()
    const single = durable("pg-single", async (input: { name: string }, ctx) => {
      // The second holds the slot a while: long enough for b's idle eviction (every 200 ms) to look at the first.
      await ctx.step("work", async () => (input.name === "first" ? gate : new Promise((resolve) => setTimeout(resolve, 800))))
      return ctx.waitForCallback("go", async (callbackId) => void submitted.set(input.name, callbackId))
    }, { concurrency: 1 })
    const options = { functions: [single], url: postgres.url, schema: "single", port: 0, handleSignals: false, evictEveryMs: 200, flowPollMs: 200 }
    const a = await servePostgres({ ...options, leases: { hostId: "a", leaseMs: 1_500 } })
    const b = await servePostgres({ ...options, leases: { hostId: "b", leaseMs: 1_500 } })
    try {
      const first = (await call(a, "POST", "/v1/functions/pg-single/executions", { input: { name: "first" } })).body.executionId as string
      assert.strictEqual((await call(a, "POST", `/v1/executions/${first}/pause`)).body.status, "PAUSED")
      release() // its step ends; the pause holds it before the callback, with the only slot
      await until(async () => (await call(a, "GET", `/v1/executions/${first}/history`)).body.events.some((e: { _tag: string }) => e._tag === "StepSucceeded"), "the first step's end")
      const second = await call(b, "POST", "/v1/functions/pg-single/executions", { input: { name: "second" } })
      assert.strictEqual(second.body.status, "QUEUED", "the paused one holds the only slot")
      assert.strictEqual((await call(b, "POST", `/v1/executions/${first}/resume`)).status, 200)
      // a lets it go to b (and its slot with it): the second runs to its callback, then the first takes the slot.
      await until(() => submitted.has("second") && submitted.has("first"), "both submitters", 15_000)
      for (const name of ["first", "second"]) {
        assert.strictEqual((await call(a, "POST", `/v1/callbacks/${encodeURIComponent(submitted.get(name)!)}/succeed`, { result: name })).status, 204)
      }
      for (const id of [first, second.body.executionId as string]) {
        await until(async () => (await call(a, "GET", `/v1/executions/${id}`)).body.status === "SUCCEEDED", `${id} to end`)
      }
    } finally {
      await b.close()
      await a.close()
    }
  }, 60_000)

  it("an execution whose step waits for its concurrency slot on one host is let go to another that stops it", async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const ran: Array<string> = []
    const limited = durable("pg-limited", async (input: { name: string }, ctx) => {
      if (input.name === "holder") return ctx.step("hold", async () => gate.then(() => void ran.push("hold")))
      await ctx.wait("nap", { seconds: 1 })
      await ctx.step("after", async () => void ran.push("after"))
    }, { concurrency: 1 })
    const options = { functions: [limited], url: postgres.url, schema: "limited", port: 0, handleSignals: false, flowPollMs: 200 }
    const a = await servePostgres({ ...options, leases: { hostId: "a", leaseMs: 1_500, acquireTimeoutMs: 5_000 } })
    const b = await servePostgres({ ...options, leases: { hostId: "b", leaseMs: 1_500, acquireTimeoutMs: 5_000 } })
    try {
      const waiter = (await call(b, "POST", "/v1/functions/pg-limited/executions", { input: { name: "waiter" } })).body.executionId as string
      await until(async () => (await call(b, "GET", `/v1/executions/${waiter}/history`)).body.events.some((e: { _tag: string }) => e._tag === "WaitStarted"), "the nap")
      const holder = await call(b, "POST", "/v1/functions/pg-limited/executions", { input: { name: "holder" } })
      // The napping waiter gives its slot back a moment after its nap is written: the holder takes it then.
      await until(async () => (await call(b, "GET", `/v1/executions/${holder.body.executionId}`)).body.status === "RUNNING", "the holder to run")
      // The nap ends on b, and the waiter's step waits there for the holder's slot.
      await until(async () => (await call(b, "GET", `/v1/executions/${waiter}/history`)).body.events.some((e: { _tag: string }) => e._tag === "WaitSucceeded"), "the nap's end")
      const stopped = await call(a, "POST", `/v1/executions/${waiter}/stop`)
      assert.strictEqual(stopped.status, 200, "b let it go to a; before, a answered 503 after its acquire timeout")
      assert.strictEqual((await call(a, "GET", `/v1/executions/${waiter}`)).body.status, "STOPPED")
      release()
      await until(async () => (await call(a, "GET", `/v1/executions/${holder.body.executionId}`)).body.status === "SUCCEEDED", "the holder's end")
      assert.deepStrictEqual(ran, ["hold"], "the stopped waiter's step never ran")
    } finally {
      await b.close()
      await a.close()
    }
  }, 60_000)

  // Found from outside: a host shut down (SIGTERM) in the middle of a step gave its leases back, but the execution's
  // alarm was its watchdog, 30 s away, and only then did another host take it; its waits moved at once.
  it("a host closed mid-step hands the execution over at once: another host runs the step again and ends it", async () => {
    const entered: Array<string> = []
    let hold = true
    const cut = durable("pg-cut", async (_: unknown, ctx) => {
      await ctx.step("long", async () => {
        entered.push("long")
        if (hold) await new Promise(() => undefined) // still running when its host closes
      })
      return "done"
    })
    const options = { functions: [cut], url: postgres.url, schema: "cut", port: 0, handleSignals: false }
    const a = await servePostgres({ ...options, leases: { hostId: "a", leaseMs: 1_500 } })
    const b = await servePostgres({ ...options, leases: { hostId: "b", leaseMs: 1_500 } })
    try {
      const id = (await call(a, "POST", "/v1/functions/pg-cut/executions", { input: {} })).body.executionId as string
      await until(() => entered.length === 1, "the step's body on a")
      hold = false
      await a.close()
      // 10 s: a third of the watchdog (30 s), which was the only way on before.
      await until(async () => (await call(b, "GET", `/v1/executions/${id}`)).body.status === "SUCCEEDED", "b to end it", 10_000)
      assert.deepStrictEqual(entered, ["long", "long"], "b ran the cut-off step once more")
    } finally {
      await b.close()
      await a.close()
    }
  }, 60_000)

  it("keeps schedule records in PostgreSQL: a pause and a trigger survive a restart", async () => {
    const job = durable("pg-nightly", async (input: { kind: string }, ctx) => ctx.step("run", async () => `ran ${input.kind}`))
    const nightly = schedule("pg-nightly", { function: job, cron: "0 3 * * *", input: { kind: "nightly" } })
    const options = { functions: [job], schedules: [nightly], url: postgres.url, schema: "scheduled", port: 0, handleSignals: false }
    let server = await servePostgres(options)
    try {
      assert.strictEqual((await call(server, "POST", "/v1/schedules/pg-nightly/pause")).body.paused, true)
      const triggered = await call(server, "POST", "/v1/schedules/pg-nightly/trigger")
      assert.strictEqual(triggered.status, 201)
      await server.close()
      server = await servePostgres(options)
      const view = await call(server, "GET", "/v1/schedules/pg-nightly")
      assert.strictEqual(view.body.paused, true, "the pause was kept in the database")
      assert.strictEqual(view.body.started, 1, "the trigger's start was counted in the record")
      const listed = await call(server, "GET", "/v1/executions?functionName=pg-nightly")
      assert.strictEqual(listed.body.executions.length, 1)
      assert.match(listed.body.executions[0].executionId, /^pg-nightly:trigger:/)
      const row = await server.engine(() => server.store.getMeta("schedule:pg-nightly"))
      assert.include(row, "\"paused\":true")
    } finally {
      await server.close()
    }
  }, 30_000)
})
