/** The test runner's own life: what it answers once disposed. */
import { assert, describe, it } from "@effect/vitest"
import { durable } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

describe("a disposed test runner", () => {
  it("refuses further calls with an Error that says so (not the runtime's bare string); a second dispose is fine", async () => {
    const hello = durable("hello", async () => "hi")
    const runner = createTestRunner({ functions: [hello] })
    const execution = await runner.run("hello")
    await runner.dispose()
    for (const call of [() => runner.run("hello"), () => execution.refresh()]) {
      const refused = await call().then(() => undefined, (error: unknown) => error)
      assert.instanceOf(refused, Error)
      assert.match((refused as Error).message, /test runner was disposed/)
    }
    await runner.dispose()
  })
})
