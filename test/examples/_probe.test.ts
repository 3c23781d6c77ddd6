import { assert, it } from "@effect/vitest"
import { createTestRunner } from "reprise/testing"
import { f } from "../../examples/_probe.ts"
it("probe", async () => {
  const r = createTestRunner({ functions: [f] })
  const e = await r.run("probe")
  assert.strictEqual(e.result, 1)
})
