/** Payloads as the console, `reprise history` and `reprise get` show them: no internal formats, no double encoding. */
import { assert, describe, it } from "@effect/vitest"
import { durable } from "../../../src/index.ts"
import { describeEvent } from "../../../src/http/console/describe.ts"
import { indexHistory } from "../../../src/http/console/history.ts"
import type { LogEvent } from "../../../src/log/events.ts"
import { createTestRunner } from "../../../src/testing/index.ts"

const batches = durable("batches", async (_input: unknown, ctx) => {
  const mapped = await ctx.map("double", [1, 2], async (child, n) => child.step("times-two", async () => n * 2))
  const branches = await ctx.parallel<unknown>("both", [{ name: "a", func: async () => "A" }, async () => ({ b: true })])
  return { mapped: mapped.getResults(), branches: branches.getResults() }
})

const answer = durable("answer", async (_input: unknown, ctx) => ctx.waitForCallback("warehouse", async () => undefined))

const contextSucceeded = (history: ReadonlyArray<LogEvent>, subType: string) => {
  const event = history.find((e): e is Extract<LogEvent, { _tag: "ContextSucceeded" }> => e._tag === "ContextSucceeded" && e.subType === subType)
  assert.isDefined(event, subType)
  return event!
}

describe("shown payloads", () => {
  it("a map's and a parallel's results read as a BatchResult, not the stored item records", async () => {
    const runner = createTestRunner({ functions: [batches] })
    try {
      const execution = await runner.run("batches", {})
      assert.strictEqual(execution.status, "SUCCEEDED")
      const map = contextSucceeded(execution.history, "Map")
      const line = describeEvent(map)
      assert.include(line, `"completionReason":"ALL_COMPLETED"`)
      assert.notInclude(line, `"s":"S"`)
      const shown = JSON.parse(indexHistory(execution.history).get(map.id)!.result!)
      assert.deepStrictEqual(shown.all.map((item: any) => [item.index, item.status, item.result]), [[0, "SUCCEEDED", 2], [1, "SUCCEEDED", 4]])
      assert.strictEqual(shown.successCount, 2)
      const parallel = JSON.parse(indexHistory(execution.history).get(contextSucceeded(execution.history, "Parallel").id)!.result!)
      assert.deepStrictEqual(parallel.all.map((item: any) => item.result), ["A", { b: true }])
      assert.strictEqual(parallel.all[0].name, "a")
    } finally {
      await runner.dispose()
    }
  })

  it("a waitForCallback's result is the callback's JSON, decoded once", async () => {
    const runner = createTestRunner({ functions: [answer] })
    try {
      const execution = await runner.run("answer", {}, { callbacks: { warehouse: () => ({ succeed: `{"ok":true}` }) } })
      const event = contextSucceeded(execution.history, "WaitForCallback")
      assert.strictEqual(describeEvent(event), `context succeeded: {"ok":true}`)
      assert.deepStrictEqual(JSON.parse(indexHistory(execution.history).get(event.id)!.result!), { ok: true })
    } finally {
      await runner.dispose()
    }
  })
})
