/** The console shows a QUEUED execution: the list's status filter, its place in line, and the stop action. */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { durable } from "../../../src/index.ts"
import { type Harness, makeHarness } from "../http-fixture.ts"

let h: Harness | undefined
afterEach(() => h?.dispose())

let release!: () => void
const blocker = new Promise<void>((resolve) => (release = resolve))
const single = durable("single-lane", async (input: string, ctx) => ctx.step("work", () => (input === "first" ? blocker : undefined)), { concurrency: 1 })

describe("the console and QUEUED executions", () => {
  it("lists them with their place in line, filters by QUEUED, and offers stop on the execution page", async () => {
    h = makeHarness({ functions: [single] })
    await h.engine((e) => e.start({ functionName: "single-lane", input: "first", executionId: "lane-1" }))
    await h.engine((e) => e.start({ functionName: "single-lane", input: "second", executionId: "lane-2" }))
    await h.engine((e) => e.start({ functionName: "single-lane", input: "third", executionId: "lane-3" }))

    const list = await (await h.app.request("/console?status=QUEUED")).text()
    assert.include(list, "<option selected>QUEUED</option>")
    assert.match(list, /data-execution-id="lane-3"[\s\S]*?#2 in line/)
    assert.notInclude(list, `data-execution-id="lane-1"`)

    const page = await (await h.app.request("/console/executions/lane-2")).text()
    assert.match(page, /id="queue-position">#1 in its function's queue/)
    assert.include(page, `id="stop"`)
    assert.include(page, "Not yet: the execution is queued.")
    release()
  })
})
