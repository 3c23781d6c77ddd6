/**
 * Schedules on reprise/deno: the record kept in Deno KV (paused survives a restart on the same file), the routes,
 * and a trigger that starts the scheduled function.
 */
import { serve } from "../../../adapters/deno/serve.ts"
import { durable, schedule } from "../../../src/index.ts"
import { assert, Deno, tempDir, until } from "./deno-test-api.ts"
import { call } from "./server-fixture.ts"

const job = durable("digest", async (_: unknown, ctx) => ctx.step("send", async () => "sent"))
const weekly = schedule("weekly-digest", { function: job, cron: "0 8 * * MON", timezone: "America/New_York", overlap: "cancel-previous" })
const start = (kvPath: string) => serve({ functions: [job], schedules: [weekly], kvPath, port: 0, handleSignals: false })

Deno.test({
  name: "a schedule on Deno KV: listed, triggered, paused across a restart, resumed",
  fn: async () => {
    const temp = await tempDir("reprise-deno-schedules-")
    const kvPath = `${temp.dir}/reprise.kv`
    let server = await start(kvPath)
    try {
      const listed = await call(server.url, "GET", "/v1/schedules")
      assert.equal(listed.status, 200)
      const [view] = listed.body.schedules
      assert.equal(view.name, "weekly-digest")
      assert.equal(view.timezone, "America/New_York")
      const next = new Date(view.nextTickAt)
      assert.equal(next.getUTCDay(), 1)
      assert.ok([12, 13].includes(next.getUTCHours()), `08:00 in New York is 12:00 or 13:00 UTC, got ${view.nextTickAt}`)

      const triggered = await call(server.url, "POST", "/v1/schedules/weekly-digest/trigger", {})
      assert.equal(triggered.status, 201)
      const id = encodeURIComponent(triggered.body.executionId)
      await until(async () => (await call(server.url, "GET", `/v1/executions/${id}`)).body.status === "SUCCEEDED", 20_000, "the triggered execution")

      assert.equal((await call(server.url, "POST", "/v1/schedules/weekly-digest/pause", {})).body.paused, true)
      await server.close()
      server = await start(kvPath)
      const reopened = (await call(server.url, "GET", "/v1/schedules")).body.schedules[0]
      assert.equal(reopened.paused, true)
      assert.equal(reopened.started, 1)
      assert.equal(reopened.lastExecutionId, triggered.body.executionId)
      const resumed = await call(server.url, "POST", "/v1/schedules/weekly-digest/resume", {})
      assert.equal(resumed.body.paused, false)
      assert.equal(resumed.body.nextTickAt, view.nextTickAt)
    } finally {
      await server.close()
      await temp.remove()
    }
  }
})
