/**
 * reprise/node binds its port before its host starts. On a port already in use, a second server started by mistake
 * on a live server's file and port runs nothing from that file (no overdue wait fired, no step body run), even
 * briefly, and even when the refusal comes late; it closes the file it opened. A request that arrives while the
 * host starts waits for it.
 */
import { assert, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { createServer, Server as NetServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Layer } from "effect"
import { serve, serveHost } from "../../../adapters/node/serve.ts"
import { memoryPorts } from "../../../src/host/memory-ports.ts"
import { durable } from "../../../src/index.ts"
import { makeMemoryStore } from "../../../src/store/memory-store.ts"

const ran: Array<string> = []
const napping = durable("napping", async (_: unknown, ctx) => {
  await ctx.step("before", async () => void ran.push("before"))
  await ctx.wait({ seconds: 1 })
  await ctx.step("after", async () => void ran.push("after"))
  return "rested"
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const until = async (check: () => Promise<boolean>, what: string) => {
  for (let i = 0; i < 1_000; i++) {
    if (await check()) return
    await sleep(10)
  }
  throw new Error(`timed out waiting for ${what}`)
}

const listening = (server: NetServer) =>
  new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)))

describe("reprise/node serve() binds its port before its host starts", () => {
  it("on a port in use, it rejects, runs nothing from its file and closes it: an overdue wait stays unfired until a server does listen", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-port-taken-"))
    const dbPath = join(dir, "reprise.db")
    const taken = createServer()
    const port = await listening(taken)
    try {
      const first = await serve({ functions: [napping], dbPath, port: 0, handleSignals: false })
      const started = await fetch(`${first.url}/v1/functions/napping/executions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ input: null, executionName: "nap-1" })
      })
      assert.strictEqual(started.status, 201)
      await until(async () => ran.includes("before"), "the first step")
      await first.close() // the wait is still ahead; it is overdue by the time the second server starts
      await sleep(1_200)

      // The refusal comes 100 ms late, as it may on a loaded machine: a host started before the bind would have
      // fired the overdue wait and run the next step meanwhile (it did, before the bind came first).
      const listen = NetServer.prototype.listen
      NetServer.prototype.listen = function(this: NetServer, ...args: Array<unknown>) {
        setTimeout(() => Reflect.apply(listen, this, args), 100)
        return this
      } as typeof listen
      // Exclusive locking: a connection the refused server left open would keep the next server out of the file.
      const refused = await serve({ functions: [napping], dbPath, port, handleSignals: false, locking: "exclusive" })
        .then((server) => server.close().then(() => undefined), (error: unknown) => error)
        .finally(() => {
          NetServer.prototype.listen = listen
        })
      assert.match(String((refused as { code?: string })?.code), /EADDRINUSE/)
      await sleep(500) // a host left running, even for a moment, would have fired the overdue wait by now
      assert.deepStrictEqual(ran, ["before"])

      const second = await serve({ functions: [napping], dbPath, port: 0, handleSignals: false })
      try {
        await until(async () => ran.includes("after"), "the wait to fire once a server listens")
        assert.deepStrictEqual(ran, ["before", "after"])
      } finally {
        await second.close()
      }
    } finally {
      taken.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("answers a request that arrives while its host is still starting, once the host is up", async () => {
    const free = createServer()
    const port = await listening(free)
    await new Promise((resolve) => free.close(resolve))
    // Ports that take 300 ms to come up: the port is bound meanwhile, and a request made then waits for the host.
    const slowPorts = Layer.unwrap(Effect.as(Effect.sleep("300 millis"), memoryPorts(makeMemoryStore())))
    const serving = serveHost({ functions: [napping], port, handleSignals: false }, slowPorts)
    await sleep(100)
    const answer = await fetch(`http://127.0.0.1:${port}/v1/functions`) // refused, were the host started first
    const server = await serving
    try {
      assert.strictEqual(answer.status, 200)
      assert.deepStrictEqual(((await answer.json()) as { functions: Array<{ name: string }> }).functions.map((f) => f.name), ["napping"])
    } finally {
      await server.close()
    }
  })
})
