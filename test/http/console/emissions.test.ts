/** The console's execution page shows what ctx.emit recorded: each emission in the history, with its topic and value. */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { durable } from "../../../src/index.ts"
import { type Harness, makeHarness, until } from "../http-fixture.ts"

let h: Harness | undefined
afterEach(() => h?.dispose())

const talker = durable("talker", async (_input: unknown, ctx) => {
  await ctx.emit("progress", { done: 1, of: 2, note: "<half>" })
  await ctx.emit("progress", { done: 2, of: 2 })
  return "ok"
})

describe("the console and emissions", () => {
  it("lists each emission in the history, labelled by its topic, its value escaped", async () => {
    h = makeHarness({ functions: [talker] })
    const res = await h.request("POST", "/v1/functions/talker/executions", { json: { executionName: "talk-1" } })
    assert.strictEqual(res.status, 201)
    const text = await until(async () => {
      await h!.engine((e) => e.settle("talk-1"))
      const page = await (await h!.app.request("/console/executions/talk-1")).text()
      return page.includes("succeeded") ? page : undefined
    })
    assert.match(text, /progress · 1<\/td><td>StepSucceeded<\/td><td class="mono">emitted \{&quot;done&quot;:1,&quot;of&quot;:2,&quot;note&quot;:&quot;&lt;half&gt;&quot;\}/)
    assert.match(text, /progress · 2<\/td><td>StepSucceeded<\/td><td class="mono">emitted \{&quot;done&quot;:2,&quot;of&quot;:2\}/)
    assert.notInclude(text, "<half>")
  })
})
