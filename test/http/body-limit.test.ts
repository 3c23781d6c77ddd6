/**
 * The body limit judges a body announced by Content-Length by that header alone: it never touches `request.body`
 * (on @hono/node-server that would build a full WHATWG Request for every POST; issue 13). A streamed body is counted.
 */
import { assert, describe, it } from "@effect/vitest"
import { Hono } from "hono"
import { bodyLimit } from "../../src/http/body-limit.ts"

const app = () => {
  const app = new Hono()
  app.use(bodyLimit({ maxSize: 10, onError: (c) => c.text("too large", 413) }))
  app.post("/", async (c) => c.text(String((await c.req.raw.arrayBuffer()).byteLength)))
  return app
}

/** A request whose `body` throws when looked at, as a stand-in for one that is expensive to build. */
const untouchable = (body: string) => {
  const request = new Request("http://127.0.0.1/", { method: "POST", body, headers: { "content-length": String(body.length) } })
  const arrayBuffer = () => request.arrayBuffer()
  return new Proxy(request, {
    get: (target, key) => {
      if (key === "body") throw new Error("the body limit looked at request.body")
      if (key === "arrayBuffer") return arrayBuffer
      const value = Reflect.get(target, key, target)
      return typeof value === "function" ? value.bind(target) : value
    }
  })
}

describe("bodyLimit", () => {
  it("passes or refuses a body by its Content-Length without looking at request.body", async () => {
    assert.strictEqual(await (await app().fetch(untouchable("0123456789"))).text(), "10")
    assert.strictEqual((await app().fetch(untouchable("0123456789A"))).status, 413)
  })

  it("counts a body without Content-Length as it streams in", async () => {
    const streamed = (text: string) =>
      new Request("http://127.0.0.1/", {
        method: "POST",
        body: new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode(text)), c.close()) }),
        duplex: "half"
      } as RequestInit)
    assert.strictEqual(await (await app().fetch(streamed("0123456789"))).text(), "10")
    assert.strictEqual((await app().fetch(streamed("0123456789A"))).status, 413)
  })
})
