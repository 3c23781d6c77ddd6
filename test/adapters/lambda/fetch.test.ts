/** `ctx.fetch` on Lambda: a step of subtype Fetch (the installed SDK's service has no FETCH operation), never re-sent. */
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runUnder } from "./harness.ts"

let server: Server
let base: string
const seen: Array<{ url: string; authorization: string | undefined }> = []

beforeAll(async () => {
  server = createServer((request, response) => {
    seen.push({ url: request.url!, authorization: request.headers.authorization })
    response.writeHead(request.url === "/missing" ? 404 : 200, { "content-type": "text/plain" })
    response.end(`you asked for ${request.url}`)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

describe("reprise/lambda: ctx.fetch", () => {
  it("records the exchange as a Fetch step, and sends it once across invocations", async () => {
    const run = await runUnder("reprise", async (_event, ctx) => {
      const found = await ctx.fetch("get-item", `${base}/item`, { headers: { authorization: "Bearer lambda-secret-91" } })
      const missing = await ctx.fetch(`${base}/missing`)
      await ctx.wait("pause", { seconds: 30 }) // the next invocation replays both
      return { found: [found.status, found.ok, found.body], missing: [missing.status, missing.ok] }
    })
    expect(run.status).toBe("SUCCEEDED")
    expect(run.invocations).toBe(2)
    expect(run.result).toEqual({ found: [200, true, "you asked for /item"], missing: [404, false] })
    expect(run.tree.map((n) => `${n.type}/${n.subType} ${n.name ?? ""} ${n.status}`)).toEqual([
      "STEP/Fetch get-item SUCCEEDED",
      "STEP/Fetch  SUCCEEDED",
      "WAIT/Wait pause SUCCEEDED"
    ])
    expect(seen.filter((s) => s.url === "/item")).toEqual([{ url: "/item", authorization: "Bearer lambda-secret-91" }])
    expect(seen.filter((s) => s.url === "/missing")).toHaveLength(1)
  })
})
