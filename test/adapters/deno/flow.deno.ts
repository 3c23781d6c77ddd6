/**
 * Flow control on reprise/deno (Deno KV): executions beyond a concurrency limit wait QUEUED with their position,
 * survive a restart on the same file (the queue is rebuilt from the KV listing), and all run, never more than the
 * limit at once.
 */
import { serve } from "../../../adapters/deno/serve.ts"
import { durable } from "../../../src/index.ts"
import { assert, Deno, tempDir, until } from "./deno-test-api.ts"
import { call } from "./server-fixture.ts"

let running = 0
let most = 0
const ran: Array<string> = []
/**
 * The bodies hold until the test has seen the queue: with a plain 200 ms body, a loaded machine took longer than
 * the two running jobs to make the six starts, and job-5 was RUNNING when the test looked for QUEUED.
 */
let release!: () => void
const gate = new Promise<void>((resolve) => (release = resolve))
const limited = durable("deno-limited", async (input: string, ctx) => {
  await ctx.step("work", async () => {
    running++
    most = Math.max(most, running)
    ran.push(input)
    await gate
    await new Promise((resolve) => setTimeout(resolve, 200)) // long enough for bodies to overlap if the limit failed
    running--
  })
  return input
}, { concurrency: 2 })
const start = (kvPath: string) => serve({ functions: [limited], kvPath, port: 0, handleSignals: false })

Deno.test({
  name: "flow control on Deno KV: QUEUED with a position, kept across a restart, run under the limit",
  fn: async () => {
    const temp = await tempDir("reprise-deno-flow-")
    const kvPath = `${temp.dir}/reprise.kv`
    let server = await start(kvPath)
    try {
      for (let n = 0; n < 6; n++) {
        const started = await call(server.url, "POST", "/v1/functions/deno-limited/executions", { input: `job-${n}`, executionName: `job-${n}` })
        assert.equal(started.status, 201)
      }
      const last = await call(server.url, "GET", "/v1/executions/job-5")
      assert.equal(last.body.status, "QUEUED")
      const queued = await call(server.url, "GET", "/v1/executions?function=deno-limited&status=QUEUED")
      assert.equal(last.body.queuePosition, queued.body.executions.length)
      // A clean restart while executions wait: the queue is what the store holds.
      await server.close()
      // The closed server's step bodies run on in this process (abandoned, unrecorded): let them end, then count anew.
      release()
      await until(() => running === 0, 20_000, "the abandoned bodies to end")
      most = 0
      server = await start(kvPath)
      await until(async () => {
        const page = await call(server.url, "GET", "/v1/executions?function=deno-limited&status=SUCCEEDED")
        return page.body.executions.length === 6
      }, 20_000, "every execution to succeed")
      assert.ok(most <= 2, `at most 2 bodies at once, saw ${most}`)
      for (let n = 0; n < 6; n++) {
        const history = await call(server.url, "GET", `/v1/executions/job-${n}/history`)
        const dequeued = history.body.events.filter((e: { _tag: string }) => e._tag === "ExecutionDequeued").length
        assert.ok(dequeued <= 1, `job-${n} left the queue at most once`)
      }
    } finally {
      release()
      await server.close()
      await temp.remove()
    }
  }
})
