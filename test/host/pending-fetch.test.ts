/**
 * The handler a server listens with before its host has started (src/host/pending-fetch.ts): requests made meanwhile
 * wait for the host's handler, or fail with the host's error.
 */
import { assert, describe, it } from "@effect/vitest"
import { pendingFetch } from "../../src/host/pending-fetch.ts"

describe("pendingFetch", () => {
  it("answers a request made before the host is ready once it is, and later ones at once", async () => {
    const pending = pendingFetch<[Request]>()
    const early = pending.fetch(new Request("http://127.0.0.1/early"))
    pending.ready((request) => new Response(new URL(request.url).pathname))
    assert.strictEqual(await (await early).text(), "/early")
    const late = pending.fetch(new Request("http://127.0.0.1/late"))
    assert.instanceOf(late, Response, "no promise once the host is up")
    assert.strictEqual(await (late as Response).text(), "/late")
  })

  it("fails the requests that waited with the host's error when it fails to start", async () => {
    const pending = pendingFetch<[Request]>()
    const early = pending.fetch(new Request("http://127.0.0.1/early"))
    pending.failed(new Error("the store is locked"))
    const error = await Promise.resolve(early).then(() => undefined, (e: unknown) => e)
    assert.match(String(error), /the store is locked/)
  })
})
