/** A step timeout on the Node server, over HTTP: the slow attempt fails with StepTimeoutError and is retried. */
import { assert, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createRetryStrategy, durable } from "reprise"
import { serve } from "../../../adapters/node/serve.ts"

describe("step timeout on the Node server", () => {
  it("records the timed-out attempt as StepTimeoutError, aborts its signal, and succeeds on the retry", async () => {
    let aborts = 0
    const fn = durable("fetch-quote", async (_: unknown, ctx) =>
      ctx.step("quote", async ({ attempt, signal }) => {
        if (attempt === 1) {
          return new Promise<never>((_, reject) => signal.addEventListener("abort", () => (aborts++, reject(signal.reason)), { once: true }))
        }
        return { price: 42 }
      }, { timeout: { seconds: 0.1 }, retryStrategy: createRetryStrategy({ maxAttempts: 2, initialDelay: { seconds: 1 }, jitter: "NONE" }) }))
    const dir = mkdtempSync(join(tmpdir(), "reprise-step-timeout-"))
    const server = await serve({ functions: [fn], dbPath: join(dir, "reprise.db"), port: 0, handleSignals: false })
    try {
      const started = await fetch(`${server.url}/v1/functions/fetch-quote/executions?wait=10`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}"
      })
      const view = await started.json() as { executionId: string; status: string; result: unknown }
      assert.deepStrictEqual([view.status, view.result], ["SUCCEEDED", { price: 42 }])
      const history = await (await fetch(`${server.url}/v1/executions/${view.executionId}/history`)).json() as {
        events: Array<{ _tag: string; attempt?: number; error?: { errorType: string; errorMessage: string } }>
      }
      const failed = history.events.filter((e) => e._tag === "StepFailed")
      assert.deepStrictEqual(failed.map((e) => [e.attempt, e.error?.errorType]), [[1, "StepTimeoutError"]])
      assert.match(failed[0]!.error!.errorMessage, /Attempt 1 of step "quote" timed out after 100 ms/)
      assert.strictEqual(aborts, 1)
    } finally {
      await server.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
