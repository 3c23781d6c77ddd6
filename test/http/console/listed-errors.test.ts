/** The console's list says why each failed or stopped execution ended, escaped and cut to a line. */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { durable } from "../../../src/index.ts"
import { type Harness, makeHarness, until } from "../http-fixture.ts"

let h: Harness | undefined
afterEach(() => h?.dispose())

const refuse = durable("refuse", async (input: { readonly message: string }) => {
  throw Object.assign(new Error(input.message), { name: "OutOfStock" })
})

describe("the console's list and errors", () => {
  it("shows a failed execution's error type and message under its status, escaped, the message cut at 80 characters", async () => {
    h = makeHarness({ functions: [refuse] })
    const message = `<img src=x onerror=alert(1)> ${"é".repeat(120)}`
    await h.engine((e) => e.start({ functionName: "refuse", input: { message }, executionId: "bad-1" }))
    await h.engine((e) => e.start({ functionName: "refuse", input: { message: "no kettles" }, executionId: "bad-2" }))
    const list = await until(async () => {
      const page = await (await h!.app.request("/console?status=FAILED")).text()
      return page.includes(`data-execution-id="bad-1"`) && page.includes(`data-execution-id="bad-2"`) ? page : undefined
    })
    assert.include(list, `<span class="mono">OutOfStock</span>: no kettles</div>`)
    // 29 characters of tag and space, then 50 of the rest and "…": 80, counted before escaping.
    const shown = `&lt;img src=x onerror=alert(1)&gt; ${"é".repeat(50)}…`
    assert.include(list, `<span class="mono">OutOfStock</span>: ${shown}</div>`)
    assert.notInclude(list, "<img src=x")
    // The title holds what the listing keeps: 200 characters.
    assert.include(list, `title="OutOfStock: &lt;img src=x onerror=alert(1)&gt; ${"é".repeat(120)}"`)
  })
})
