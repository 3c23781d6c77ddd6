/**
 * reprise/deno over HTTP against Deno.serve on a free port, with Deno KV in a temporary directory: the order
 * example (a retry on a durable backoff, a callback completed over HTTP, result and history, then deleted), a wait fired by the
 * KV queue, a graceful restart on the same KV file, and queue messages delivered twice.
 */
import { Effect } from "effect"
import { EngineProbe } from "../../../src/engine/engine-probe.ts"
import { alarmMessage } from "../../../adapters/deno/kv-keys.ts"
import { serve, type Server, type SqliteServer } from "../../../adapters/deno/serve.ts"
import { fakeOrderServices, makeOrderFulfilment } from "../../../examples/order-fulfilment.ts"
import { assert, Deno, sleep, tempDir, until } from "./deno-test-api.ts"
import { call, count, napping, slowSteps } from "./server-fixture.ts"
import { durable } from "../../../src/index.ts"

const order = { orderId: "o-7", email: "ada@example.com", amountCents: 4200, lines: [{ sku: "kettle", quantity: 1 }] }
const errors: Array<string> = []
// keepWarmMs 0: a suspended execution leaves memory at the next tick however soon its wait is due, so that the
// tests see the KV queue wake it (by default a wait due within 10 s stays warm).
// A path ending in .db is a SQLite file (`dbPath`), any other a KV file.
const start = (path: string, functions: Parameters<typeof serve>[0]["functions"]): Promise<Server | SqliteServer> =>
  serve({
    functions,
    ...(path.endsWith(".db") ? { dbPath: path } : { kvPath: path }),
    port: 0, handleSignals: false, evictEveryMs: 200, keepWarmMs: 0, onError: (e, id) => void errors.push(`${id}: ${String(e)}`)
  })

type Reachable = { readonly url: string }
const history = async (server: Reachable, id: string) => (await call(server.url, "GET", `/v1/executions/${id}/history?limit=1000`)).body.events as Array<any>
const status = async (server: Reachable, id: string) => (await call(server.url, "GET", `/v1/executions/${id}`)).body.status as string

/** Both stores run the order example and the restart: KV (alarms from its queue) and a SQLite file (from its timer). */
const STORES = [["KV", "reprise.kv"], ["SQLite", "reprise.db"]] as const

for (const [store, file] of STORES) {
  Deno.test({
    name: `${store}: the order example over HTTP: payment retried on a durable backoff, warehouse callback over HTTP, result and history, then deleted on request`,
    fn: async () => {
      const temp = await tempDir("reprise-deno-serve-")
      const services = fakeOrderServices({ paymentOutages: 1 })
      const server = await start(`${temp.dir}/${file}`, [makeOrderFulfilment(services)])
      try {
        assert.equal(server.authenticated, false)
        assert.deepEqual((await call(server.url, "GET", "/healthz")).body, { status: "ok" })
        const listed = await call(server.url, "GET", "/v1/functions")
        assert.equal(listed.status, 200)
        const started = await call(server.url, "POST", "/v1/functions/order-fulfilment/executions", { input: order })
        assert.equal(started.status, 201)
        const id = started.body.executionId as string

        // The first charge fails (503); the retry waits on a durable timer (up to 2 s with jitter), fired by the queue
        // on KV and by the timer on SQLite.
        await until(() => services.warehouseInbox.length === 1, 30_000, "the warehouse to be asked, after the payment retry")
        assert.equal(services.calls.charge, 2)
        const callbackId = services.warehouseInbox[0]!.callbackId
        const completed = await call(server.url, "POST", `/v1/callbacks/${encodeURIComponent(callbackId)}/succeed`, {
          result: JSON.stringify({ parcelId: "p-1", weightKg: 2 })
        })
        assert.equal(completed.status, 204)
        await until(async () => (await status(server, id)) !== "RUNNING", 30_000, "the order to finish")

        const view = await call(server.url, "GET", `/v1/executions/${id}`)
        assert.equal(view.body.status, "SUCCEEDED")
        assert.equal(view.body.result.status, "shipped")
        assert.equal(view.body.result.chargeId, "ch-1")
        assert.deepEqual({ charge: services.calls.charge, ship: services.calls.ship, email: services.calls.email }, { charge: 2, ship: 1, email: 1 })
        const events = await history(server, id)
        const charge = events.filter((e) => e.name === "charge-payment").map((e) => `${e._tag}:${e.attempt}`)
        assert.deepEqual(charge, ["StepFailed:1", "StepSucceeded:2"])
        const failed = events.find((e) => e._tag === "StepFailed")
        assert.ok(failed.nextAttemptAt > failed.at, "the retry was scheduled on a timer")
        assert.equal(events[0]._tag, "ExecutionStarted")
        assert.ok(events.some((e) => e._tag === "CallbackSucceeded"))
        assert.equal(events.at(-1)._tag, "ExecutionSucceeded")
        if ("alarms" in server) assert.atLeast(server.alarms.stats.delivered, 1, "alarm deliveries from the queue")
        else assert.equal(server.store.path, `${temp.dir}/${file}`)
        // What the HTTP API showed is what the store holds.
        assert.equal((await Effect.runPromise(server.store.load(id)))?.events.length, events.length)

        const again = await call(server.url, "POST", `/v1/callbacks/${encodeURIComponent(callbackId)}/succeed`, { result: "late" })
        assert.equal(again.status, 409)
        assert.equal(again.body.type, "https://reprise.dev/problems/callback-already-completed")
        const listing = await call(server.url, "GET", "/v1/executions?function=order-fulfilment")
        assert.deepEqual(listing.body.executions.map((e: { executionId: string }) => e.executionId), [id])

        // Deleted on request, as its retention would: the log, the listing row (KV's index keys) and the alarm go.
        assert.equal((await call(server.url, "DELETE", `/v1/executions/${id}`)).status, 204)
        assert.equal((await call(server.url, "GET", `/v1/executions/${id}`)).status, 404)
        assert.deepEqual((await call(server.url, "GET", "/v1/executions?function=order-fulfilment")).body.executions, [])
        assert.equal(await Effect.runPromise(server.store.load(id)), undefined)
        assert.equal((await call(server.url, "DELETE", `/v1/executions/${id}`)).status, 404, "a second delete finds nothing")
      } finally {
        await server.close()
        await temp.remove()
      }
    }
  })
}

Deno.test({
  name: "a 1-second wait is fired by the KV queue after the execution was evicted from memory",
  fn: async () => {
    const temp = await tempDir("reprise-deno-wait-")
    const server = await start(`${temp.dir}/reprise.kv`, [napping]) as Server
    try {
      const started = await call(server.url, "POST", "/v1/functions/napping/executions", { input: "wait", executionName: "nap-1" })
      assert.equal(started.status, 201)
      await until(async () => !(await server.engine(() => EngineProbe.use((p) => Effect.sync(() => p.inMemory("nap-1"))))), 30_000, "the suspended execution to be evicted")
      const received = server.alarms.stats.received
      await until(async () => (await status(server, "nap-1")) !== "RUNNING", 30_000, "the wait to fire")
      const view = (await call(server.url, "GET", "/v1/executions/nap-1?operations=true")).body
      assert.equal(view.status, "SUCCEEDED")
      assert.equal(view.result, "wait woke")
      const nap = view.operations.find((op: { name?: string }) => op.name === "nap")
      assert.ok(Date.parse(nap.endedAt) >= Date.parse(nap.waitUntil), "the wait ended no earlier than its time")
      assert.atLeast(server.alarms.stats.received, received + 1, "a queue message woke it")
      assert.deepEqual([count("wait:before"), count("wait:after")], [1, 1])
    } finally {
      await server.close()
      await temp.remove()
    }
  }
})

for (const [store, file] of STORES) {
  Deno.test({
    name: `${store}: restart on the same file: a wait set before the stop fires after it; a run cut mid-step finishes without re-running finished steps`,
    fn: async () => {
      const temp = await tempDir("reprise-deno-restart-")
      const path = `${temp.dir}/${file}`
      let server = await start(path, [napping, slowSteps])
      try {
        await call(server.url, "POST", "/v1/functions/napping/executions", { input: `${store}-restart`, executionName: "nap-2" })
        await call(server.url, "POST", "/v1/functions/slow-steps/executions", { input: { label: `${store}-cut`, n: 12 }, executionName: "cut" })
        await until(async () => count(`${store}-cut:done 3`) === 1 && (await history(server, "nap-2")).some((e) => e._tag === "WaitStarted"), 30_000, "a few steps and the nap to start")
        const napUntil = (await history(server, "nap-2")).find((e) => e._tag === "WaitStarted").until as number
        await server.close() // mid-step and mid-wait
        const stoppedAt = Date.now()
        assert.ok(stoppedAt < napUntil, "the wait was not due yet when the server stopped")
        const doneAtStop = Array.from({ length: 12 }, (_, i) => count(`${store}-cut:done ${i}`)).filter((n) => n > 0).length
        assert.atMost(doneAtStop, 11, "the run was cut before its end")

        server = await start(path, [napping, slowSteps])
        await until(async () => (await status(server, "cut")) !== "RUNNING" && (await status(server, "nap-2")) !== "RUNNING", 30_000, "both to finish after the restart")

        const nap = (await call(server.url, "GET", "/v1/executions/nap-2")).body
        assert.equal(nap.status, "SUCCEEDED")
        assert.deepEqual([count(`${store}-restart:before`), count(`${store}-restart:after`)], [1, 1])
        const fired = (await history(server, "nap-2")).find((e) => e._tag === "WaitSucceeded")
        assert.ok(fired.at >= napUntil && fired.at > stoppedAt, "the wait fired at its time, after the restart")
        const cut = (await call(server.url, "GET", "/v1/executions/cut")).body
        assert.equal(cut.status, "SUCCEEDED")
        assert.equal(cut.result, 66)
        const events = await history(server, "cut")
        let reruns = 0
        for (let i = 0; i < 12; i++) {
          assert.equal(events.filter((e) => e._tag === "StepSucceeded" && e.name === `step-${i}`).length, 1, `step ${i} recorded once`)
          assert.atLeast(count(`${store}-cut:done ${i}`), 1, `step ${i} ran to its end`)
          reruns += count(`${store}-cut:begin ${i}`) - 1
          if (i < doneAtStop - 1) assert.equal(count(`${store}-cut:begin ${i}`), 1, `finished step ${i} ran again after the restart`)
        }
        assert.atMost(reruns, 1, "only the step in flight at the stop may run again")
      } finally {
        await server.close()
        await temp.remove()
      }
    }
  })
}

Deno.test({
  name: "queue messages delivered twice (before and after their alarm fired) change nothing",
  fn: async () => {
    const temp = await tempDir("reprise-deno-twice-")
    const server = await start(`${temp.dir}/reprise.kv`, [napping]) as Server
    try {
      await call(server.url, "POST", "/v1/functions/napping/executions", { input: "twice", executionName: "nap-3" })
      await until(async () => (await history(server, "nap-3")).some((e) => e._tag === "WaitStarted"), 30_000, "the wait to start")
      const until_ = (await history(server, "nap-3")).find((e) => e._tag === "WaitStarted").until as number
      await until(async () => (await server.store.alarmAt("nap-3")) === until_, 30_000, "the alarm to be the wait's")
      // A second message for the same alarm, due at the same moment as the first.
      const message = alarmMessage("nap-3", until_)
      await server.store.kv.enqueue(message, { delay: Math.max(0, until_ - Date.now()) })
      await until(async () => (await status(server, "nap-3")) !== "RUNNING", 30_000, "the wait to fire")
      await until(() => server.alarms.stats.received >= 2, 30_000, "both messages")

      const before = await history(server, "nap-3")
      const alarmBefore = await server.store.alarmAt("nap-3")
      const stats = { ...server.alarms.stats }
      // The same message twice more through the queue, and twice straight into the listener.
      await server.store.kv.enqueue(message)
      await server.store.kv.enqueue(message)
      await server.alarms.handle(message)
      await server.alarms.handle(message)
      await until(() => server.alarms.stats.received >= stats.received + 4, 30_000, "the repeated messages")

      const after = await history(server, "nap-3")
      assert.deepEqual(after, before, "the history after the repeated messages")
      assert.equal(after.filter((e) => e._tag === "WaitSucceeded").length, 1)
      assert.equal(await server.store.alarmAt("nap-3"), alarmBefore)
      assert.equal(server.alarms.stats.delivered, stats.delivered, "no delivery from a stale message")
      assert.equal(server.alarms.stats.stale, stats.stale + 4)
      assert.deepEqual([count("twice:before"), count("twice:after")], [1, 1])
      assert.equal((await call(server.url, "GET", "/v1/executions/nap-3")).body.status, "SUCCEEDED")
    } finally {
      await server.close()
      await temp.remove()
    }
  }
})

Deno.test({
  name: "(no background failures were reported)",
  fn: () => assert.deepEqual(errors, [])
})

Deno.test({
  name: "on Deno KV, a port already taken: serve rejects with the address error",
  fn: async () => {
    const temp = await tempDir("reprise-deno-kv-port-")
    const first = await start(`${temp.dir}/first.kv`, [napping])
    try {
      let refused: unknown
      try {
        await serve({ functions: [napping], kvPath: `${temp.dir}/second.kv`, port: first.port, handleSignals: false })
      } catch (error) {
        refused = error
      }
      assert.match(String(refused), /AddrInUse|already in use/i)
    } finally {
      await first.close()
      await temp.remove()
    }
  }
})

Deno.test({
  name: "closes with an event stream open: the stream ends at once instead of holding shutdown() until its maxSeconds",
  fn: async () => {
    const temp = await tempDir("reprise-deno-stream-close-")
    const long = durable("long-nap", async (_: unknown, ctx) => {
      await ctx.wait("long", { hours: 1 })
      return "woke"
    })
    const server = await start(`${temp.dir}/reprise.kv`, [long]) as Server
    try {
      assert.equal((await call(server.url, "POST", "/v1/functions/long-nap/executions", { executionName: "held" })).status, 201)
      const stream = await fetch(`${server.url}/v1/executions/held/events?maxSeconds=60`)
      const reader = stream.body!.getReader()
      await reader.read() // open, with its first events sent
      const drained = (async () => {
        for (let i = 0; i < 10_000; i++) if ((await reader.read()).done) return "ended"
        return "still open"
      })().catch(() => "ended")
      // The stream would hold close() for its 60 s: a bound far from that, not a measure of speed.
      const outcome = await Promise.race([server.close().then(() => "closed"), new Promise((resolve) => setTimeout(() => resolve("held"), 10_000))])
      assert.equal(outcome, "closed")
      assert.equal(await drained, "ended")
    } finally {
      await server.close()
      await temp.remove()
    }
  }
})

Deno.test({
  name: "a body that stops short of its Content-Length is a 408 after requestTimeoutMs (Deno.serve has no deadline)",
  fn: async () => {
    const temp = await tempDir("reprise-deno-body-deadline-")
    const server = await serve({ functions: [napping], kvPath: `${temp.dir}/reprise.kv`, port: 0, handleSignals: false, requestTimeoutMs: 300 })
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port })
      const head = `POST /v1/functions/${napping.name}/executions HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n` +
        "Content-Type: application/json\r\nContent-Length: 20\r\n\r\n{\"in"
      await conn.write(new TextEncoder().encode(head))
      let answer = ""
      const buffer = new Uint8Array(4096)
      for (let i = 0; i < 100 && !answer.includes("request-timeout"); i++) {
        const read = await conn.read(buffer)
        if (read === null) break
        answer += new TextDecoder().decode(buffer.subarray(0, read))
      }
      conn.close()
      assert.match(answer, /^HTTP\/1\.1 408/)
      assert.match(answer, /request-timeout/)
      assert.equal((await call(server.url, "GET", "/v1/executions")).body.executions.length, 0, "nothing started")
    } finally {
      await server.close()
      await temp.remove()
    }
  }
})

Deno.test({
  name: "a close is not held by a client stalled in its body (answered 503 with Retry-After): the host closes after Node's 5 s grace",
  fn: async () => {
    const temp = await tempDir("reprise-deno-shutdown-body-")
    const server = await serve({ functions: [napping], kvPath: `${temp.dir}/reprise.kv`, port: 0, handleSignals: false })
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port })
    try {
      const head = `POST /v1/functions/${napping.name}/executions HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n` +
        "Content-Type: application/json\r\nContent-Length: 20\r\n\r\n{\"in"
      await conn.write(new TextEncoder().encode(head))
      await sleep(200) // the request is in the handler, its body short of its length (and the client silent)
      let closed = false
      const closing = server.close().then(() => (closed = true))
      const buffer = new Uint8Array(4096)
      const read = await Promise.race([conn.read(buffer), sleep(10_000).then(() => null)])
      const answer = new TextDecoder().decode(buffer.subarray(0, read ?? 0))
      // Deno.serve drops the body at once: the request was fine, so not a 400 a client would give up on.
      assert.match(answer, /^HTTP\/1\.1 503/)
      assert.match(answer, /retry-after: 1/i)
      // Before, the close lasted until the client left (here: never, within the bound).
      await Promise.race([closing, sleep(20_000)])
      assert.ok(closed, "the server closed within 20 s")
    } finally {
      conn.close() // the connection Deno.serve still waits for ends, and with it its shutdown
      await server.close()
      await temp.remove()
    }
  }
})

Deno.test({
  name: "hostname ::1: the server's url is http://[::1]:<port>, and answers there",
  fn: async () => {
    const server = await serve({ functions: [napping], kvPath: ":memory:", hostname: "::1", port: 0, handleSignals: false })
    try {
      assert.equal(server.url, `http://[::1]:${server.port}`)
      assert.equal((await call(server.url, "GET", "/healthz")).status, 200)
    } finally {
      await server.close()
    }
  }
})

Deno.test({
  name: "a KV file in a folder that does not exist yet: the folder is made, as for a SQLite file",
  fn: async () => {
    const temp = await tempDir("reprise-deno-kv-folder-")
    try {
      const server = await serve({ functions: [napping], kvPath: `${temp.dir}/fresh/volume/reprise.kv`, port: 0, handleSignals: false })
      try {
        assert.equal((await call(server.url, "POST", "/v1/functions/napping/executions", { input: "folder" })).status, 201)
      } finally {
        await server.close()
      }
      await Deno.stat(`${temp.dir}/fresh/volume/reprise.kv`)
    } finally {
      await temp.remove()
    }
  }
})

Deno.test({
  name: "a body answered without being read (401) leaves nothing to hold the process once the server is closed",
  fn: async () => {
    const temp = await tempDir("reprise-deno-unread-body-")
    try {
      const script = new URL("./unread-body-server.ts", import.meta.url).pathname
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--config", new URL("../../../adapters/deno/deno.json", import.meta.url).pathname, script, `${temp.dir}/reprise.kv`],
        stdin: "null",
        stdout: "piped",
        stderr: "null"
      }).spawn()
      const output = new Response(child.stdout).text()
      // Its body's deadline timer (300 s) held the process: a bound far below that, not a measure of speed.
      const exited = await Promise.race([child.status.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 20_000))])
      if (!exited) child.kill("SIGKILL")
      await child.status
      assert.equal(exited, true, "the process ended by itself")
      assert.match(await output, /answered 401, closed/)
    } finally {
      await temp.remove()
    }
  }
})

for (const [store, file] of STORES) {
  Deno.test({
    name: `${store}: a second server on a served file is refused at start (it would resume what the first runs); served again once the first closes`,
    fn: async () => {
      const temp = await tempDir("reprise-deno-owner-")
      const path = `${temp.dir}/${file}`
      try {
        const first = await start(path, [napping])
        let refused: unknown
        try {
          const second = await start(path, [napping])
          await second.close()
        } catch (error) {
          refused = error
        }
        await first.close()
        assert.match(String(refused), new RegExp(`is served by another Reprise server \\(it holds .*${file.replace(".", "\\.")}-lock\\)`))
        const again = await start(path, [napping])
        await again.close()
      } finally {
        await temp.remove()
      }
    }
  })
}

/** Holds its start request (?wait) open: it waits on a callback nobody completes. */
const held = durable("held", async (_: unknown, ctx) => await ctx.waitForCallback("go", async () => undefined))

Deno.test({
  name: "a ?wait start whose client has gone gives up its admission place at once, as on Node: it does not hold it for the rest of the wait",
  fn: async () => {
    const server = await serve({ functions: [held], kvPath: ":memory:", port: 0, handleSignals: false, admission: { concurrent: 1, queued: 0 } })
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port })
    try {
      // The client asks for up to 60 s and leaves once its execution exists; the execution stays (only the wait ends).
      const body = JSON.stringify({ executionName: "gone" })
      const head = `POST /v1/functions/held/executions?wait=60 HTTP/1.1\r\nhost: 127.0.0.1:${server.port}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`
      await conn.write(new TextEncoder().encode(head + body))
      await until(async () => (await call(server.url, "GET", "/v1/executions/gone")).body?.status === "RUNNING", 10_000, "the held execution to start")
      conn.close()
      // Bounded: before the fix the place stayed taken for the whole 60 s, so every try here was refused (503).
      let next = await call(server.url, "POST", "/v1/functions/held/executions", { executionName: "next" })
      for (let i = 0; i < 100 && next.status === 503; i++) {
        await sleep(20)
        next = await call(server.url, "POST", "/v1/functions/held/executions", { executionName: "next" })
      }
      assert.equal(next.status, 201, "the abandoned ?wait start still held the only place")
      assert.equal((await call(server.url, "GET", "/v1/executions/gone")).body.status, "RUNNING", "the execution itself goes on")
    } finally {
      try {
        conn.close()
      } catch { /* closed above */ }
      await server.close()
    }
  }
})
