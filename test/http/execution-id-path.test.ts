/** An execution id no execution can have is a 404 before any store is asked, worded as any unknown id is. */
import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import { assertProblem, type Harness, makeHarness } from "./http-fixture.ts"

let h: Harness
beforeEach(() => {
  h = makeHarness()
})
afterEach(() => h.dispose())

describe("an execution id in the path", () => {
  it("of a shape no execution has answers the 404 an unknown id does, in the same words", async () => {
    const unknown = await assertProblem(await h.request("GET", "/v1/executions/nope"), 404, "execution-not-found")
    assert.strictEqual(unknown.detail, 'No execution "nope"')
    // A space, a slash (encoded) and a callback id's "_" are no id's characters: refused before the store.
    for (const [id, shown] of [["a%20b", "a b"], ["x%2Fy", "x/y"], ["cb_1", "cb_1"]] as const) {
      const body = await assertProblem(await h.request("POST", `/v1/executions/${id}/pause`, { json: {} }), 404, "execution-not-found")
      assert.strictEqual(body.detail, `No execution ${JSON.stringify(shown)}`)
    }
  })
})
