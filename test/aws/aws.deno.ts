/**
 * AWS-SDK handlers (`awsHandler`) on reprise/deno, under the real deno binary: Deno KV in a temporary directory,
 * Deno.serve on a free port; a wait fired by the KV queue, an invoke, a callback completed over HTTP, retries.
 */
import { serve } from "../../adapters/deno/serve.ts"
import { assert, Deno, tempDir, until } from "../adapters/deno/deno-test-api.ts"
import { call } from "../adapters/deno/server-fixture.ts"
import { counters, double, flaky, tour } from "./fixtures/aws-handlers.ts"

const describe = async (url: string, id: string) => (await call(url, "GET", `/v1/executions/${encodeURIComponent(id)}`)).body

Deno.test({
  name: "awsHandler on Deno: a wait, an invoke, a callback over HTTP and retries",
  fn: async () => {
    const temp = await tempDir("reprise-deno-aws-")
    const server = await serve({ functions: [tour, double, flaky], kvPath: `${temp.dir}/reprise.kv`, port: 0, handleSignals: false, evictEveryMs: 200 })
    try {
      const started = await call(server.url, "POST", "/v1/functions/aws-tour/executions", { input: { n: 5, pause: 1 }, executionName: "tour-deno" })
      assert.equal(started.status, 201)
      let callbackId: string | undefined
      await until(async () => {
        callbackId = (await describe(server.url, "tour-deno")).operations.find((op: any) => op.type === "CALLBACK" && op.status === "STARTED")?.callbackId
        return callbackId !== undefined
      }, 15_000, "the callback")
      const sent = await call(server.url, "POST", `/v1/callbacks/${encodeURIComponent(callbackId!)}/succeed`, { result: "deno-ok" })
      assert.equal(sent.status, 204)
      await until(async () => (await describe(server.url, "tour-deno")).status !== "RUNNING", 15_000, "the tour to end")
      const done = await describe(server.url, "tour-deno")
      assert.equal(done.status, "SUCCEEDED", JSON.stringify(done.error))
      assert.deepEqual(done.result, { base: 5, child: 60, squares: [1, 4, 9], doubled: 10, approval: "deno-ok", after: "done" })
      assert.equal(counters.get("base"), 1)
      assert.equal((await describe(server.url, "tour-deno:invoke:5")).result, 10)

      await call(server.url, "POST", "/v1/functions/aws-flaky/executions", { input: { id: "k-1" }, executionName: "flaky-deno" })
      await until(async () => (await describe(server.url, "flaky-deno")).status !== "RUNNING", 20_000, "the retries")
      const flakyDone = await describe(server.url, "flaky-deno")
      assert.equal(flakyDone.status, "SUCCEEDED", JSON.stringify(flakyDone.error))
      assert.deepEqual(flakyDone.result, { charged: "charged-k-1-on-3" })
      assert.equal(counters.get("charge"), 3)
    } finally {
      await server.close()
      await temp.remove()
    }
  }
})
