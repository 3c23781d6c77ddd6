/** Fork and rewind over the HTTP app on the in-memory engine (the same checks run on the Node server). */
import { afterAll, describe, it } from "@effect/vitest"
import { forkRewindChecks, opsFlow, opsWaiting, type Target } from "./fork-rewind-checks.ts"
import { makeHarness } from "./http-fixture.ts"

const harness = makeHarness({ functions: [opsFlow, opsWaiting] })
afterAll(() => harness.dispose())

const target: Target = {
  call: async (method, path, body) => {
    const response = await harness.request(method, path, body === undefined ? {} : { body, headers: { "content-type": "application/json" } })
    const text = await response.text()
    return {
      status: response.status,
      type: response.headers.get("content-type") ?? "",
      location: response.headers.get("location") ?? undefined,
      body: text === "" ? undefined : JSON.parse(text)
    }
  },
  settled: async (executionId) => {
    await harness.engine((e) => e.settle(executionId))
    return (await target.call("GET", `/v1/executions/${executionId}`)).body
  }
}

describe("fork and rewind routes (in memory)", () => {
  it("fork from N reruns N onwards only, the source untouched; a fixed FAILED execution rewinds to SUCCEEDED; wrong requests are problem+json and change nothing", async () => {
    await forkRewindChecks(target, "mem")
  })
})
