/**
 * Issue 19, store fault injection: the Node server over a SQLite store wrapped by `withStoreFaults`
 * (reprise/testing), whose appends fail, are delayed, or whose reads return torn bytes. Under each: a typed answer
 * (problem+json), nothing acknowledged that was not written, the server stays up, and it recovers by itself once
 * the fault clears.
 */
import { assert, describe, it } from "@effect/vitest"
import { makeStoreFaults, withStoreFaults } from "../../../src/testing/index.ts"
import { call, faultFunctions, faultServer, makeGate, statusOf, until } from "./fault-fixture.ts"

const start = (server: { readonly url: string }, name: string, executionName: string, input?: unknown) =>
  call(server, "POST", `/v1/functions/${name}/executions`, { executionName, ...(input === undefined ? {} : { input }) })

describe("the Node server under store faults", () => {
  it("failing appends: a start answers 503 store-failure with Retry-After and leaves nothing; the next one after the fault works", async () => {
    const faults = makeStoreFaults()
    const { server, close } = await faultServer(faultFunctions(makeGate()), (store) => withStoreFaults(store, faults))
    try {
      faults.set({ appends: "fail" })
      const refused = await start(server, "echo", "refused", 1)
      assert.strictEqual(refused.status, 503)
      assert.strictEqual(refused.type, "application/problem+json")
      assert.match(refused.body.type, /store-failure$/)
      assert.strictEqual(refused.retryAfter, "1")
      assert.isAtLeast(faults.counts.failedAppends, 1)
      assert.strictEqual((await call(server, "GET", "/v1/executions/refused")).status, 404, "nothing was written")
      assert.strictEqual((await call(server, "GET", "/healthz")).status, 200)

      faults.clear()
      assert.strictEqual((await start(server, "echo", "refused", 1)).status, 201, "the same start goes through once the store is back")
      await until(async () => (await statusOf(server, "refused")) === "SUCCEEDED", "the execution to end")
    } finally {
      await close()
    }
  }, 60_000)

  it("a step result the store refuses is not kept; the execution resumes by itself when the store is back (before its watchdog)", async () => {
    const gate = makeGate()
    const faults = makeStoreFaults()
    const { server, close } = await faultServer(faultFunctions(gate), (store) => withStoreFaults(store, faults))
    try {
      assert.strictEqual((await start(server, "gated", "mid")).status, 201)
      await gate.enteredTimes(1)
      faults.set({ appends: "fail", only: (id) => id === "mid" })
      gate.open() // the body returns; its result cannot be written, so the actor stops
      await until(() => faults.counts.failedAppends >= 1, "the step's append to be refused")
      const history = await call(server, "GET", "/v1/executions/mid/history")
      assert.strictEqual(history.status, 200)
      assert.notInclude(history.body.events.map((event: { name?: string; _tag: string }) => `${event._tag}:${event.name}`), "StepSucceeded:second")
      assert.strictEqual((await call(server, "GET", "/healthz")).status, 200)

      faults.clear()
      // The watchdog alarm is ~30 s away: 10 s is enough only if the host retries executions stopped by the store.
      await until(async () => (await statusOf(server, "mid")) === "SUCCEEDED", "the execution to resume by itself", 500)
      const view = await call(server, "GET", "/v1/executions/mid")
      assert.strictEqual(view.body.result, "one-two")
      assert.isAtLeast(gate.entered.length, 2, "the refused step ran again (at least once: its result was never written)")
    } finally {
      await close()
    }
  }, 60_000)

  it("delayed appends: every answer comes after its write, never before", async () => {
    const faults = makeStoreFaults()
    const { server, close } = await faultServer(faultFunctions(makeGate()), (store) => withStoreFaults(store, faults))
    try {
      faults.set({ appendDelayMs: 150 })
      const answers = await Promise.all(["d-1", "d-2", "d-3"].map(async (id) => {
        const answer = await start(server, "echo", id, id)
        return { id, status: answer.status, writtenBefore: faults.counts.written.includes(`${id}:1`) }
      }))
      for (const answer of answers) {
        assert.strictEqual(answer.status, 201)
        assert.isTrue(answer.writtenBefore, `the start of ${answer.id} was written before it was answered`)
      }
      assert.isAtLeast(faults.counts.delayedAppends, 3)
      for (const id of ["d-1", "d-2", "d-3"]) await until(async () => (await statusOf(server, id)) === "SUCCEEDED", `${id} to end`)
    } finally {
      await close()
    }
  }, 60_000)

  it("torn reads: 500 log-corrupted for that execution only, the server stays up, and the execution ends once reads are whole", async () => {
    const faults = makeStoreFaults()
    const { server, close } = await faultServer(faultFunctions(makeGate()), (store) => withStoreFaults(store, faults))
    try {
      assert.strictEqual((await start(server, "echo", "bystander", 7)).status, 201)
      await until(async () => (await statusOf(server, "bystander")) === "SUCCEEDED", "the bystander to end")
      assert.strictEqual((await start(server, "napper", "torn")).status, 201)
      await server.engine((engine) => engine.evict("torn")) // the next read comes from the store
      faults.set({ corruptReads: true, only: (id) => id === "torn" })

      const read = await call(server, "GET", "/v1/executions/torn")
      assert.strictEqual(read.status, 500)
      assert.strictEqual(read.type, "application/problem+json")
      assert.match(read.body.type, /log-corrupted$/)
      assert.notInclude(JSON.stringify(read.body), "stack")
      assert.strictEqual((await call(server, "GET", "/v1/executions/bystander")).body.result, 7)
      assert.strictEqual((await call(server, "GET", "/healthz")).status, 200)
      // The wait falls due: its delivery reads the torn log, fails, and is postponed (not dropped).
      await until(() => faults.counts.corruptReads >= 3, "the alarm's delivery to read the torn log")
      assert.strictEqual((await call(server, "GET", "/v1/executions/torn")).status, 500, "still unreadable")

      faults.clear()
      await until(async () => (await statusOf(server, "torn")) === "SUCCEEDED", "the wait to fire once reads are whole")
    } finally {
      await close()
    }
  }, 60_000)
})
