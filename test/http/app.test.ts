/** The app's own routes beside the API and the console. */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { type Harness, makeHarness } from "./http-fixture.ts"

let h: Harness | undefined
afterEach(() => h?.dispose())

describe("the app", () => {
  it("GET / redirects to the console", async () => {
    h = makeHarness()
    const res = await h.app.request("/")
    assert.strictEqual(res.status, 302)
    assert.strictEqual(res.headers.get("location"), "/console")
  })
})
