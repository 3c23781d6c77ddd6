/**
 * What the store-fault tests share (store-faults.test.ts, sqlite-faults.test.ts): a Node server over a SQLite file
 * whose store the test may wrap, functions whose steps the test holds and releases, and HTTP helpers.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { type HostServer, serveHost } from "../../../adapters/node/serve.ts"
import { sqlitePorts } from "../../../adapters/node/sqlite-ports.ts"
import { openSqliteStore, type SqliteStore } from "../../../adapters/node/sqlite-store.ts"
import { durable } from "../../../src/index.ts"

/** Step bodies the test holds: `gate.open()` lets every held body (and every later one) return. */
export const makeGate = () => {
  let open!: () => void
  const opened = new Promise<void>((resolve) => (open = resolve))
  const entered: Array<string> = []
  const entries: Array<() => void> = []
  return {
    opened,
    open: () => open(),
    entered,
    /** Resolves once `count` bodies have entered the gate. */
    enteredTimes: (count: number) => new Promise<void>((resolve) => {
      const check = () => (entered.length >= count ? resolve() : void entries.push(check))
      check()
    }),
    enter: (what: string) => {
      entered.push(what)
      for (const wake of entries.splice(0)) wake()
      return opened
    }
  }
}

export const faultFunctions = (gate: ReturnType<typeof makeGate>) => [
  durable("gated", async (_: unknown, ctx) => {
    const first = await ctx.step("first", async () => "one")
    const second = await ctx.step("second", async () => {
      await gate.enter("second")
      return "two"
    })
    return `${first}-${second}`
  }),
  durable("napper", async (_: unknown, ctx) => {
    await ctx.wait("nap", { seconds: 1 })
    return "woke"
  }),
  durable("echo", async (input: unknown, ctx) => ctx.step("echo", async () => input))
]

/** A server over the SQLite file at a fresh path, its store passed through `wrap`. */
export const faultServer = async (
  functions: ReturnType<typeof faultFunctions>,
  wrap: (store: SqliteStore) => SqliteStore = (store) => store,
  dbPath?: string
) => {
  const dir = mkdtempSync(join(tmpdir(), "reprise-faults-"))
  const path = dbPath ?? join(dir, "reprise.db")
  const store = await Effect.runPromise(openSqliteStore({ path }))
  const server: HostServer = await serveHost({ functions, port: 0, handleSignals: false, logging: { level: "none" } }, sqlitePorts(wrap(store)))
  return {
    server,
    store,
    path,
    close: async () => {
      await server.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

export const call = async (server: { readonly url: string }, method: string, path: string, body?: unknown) => {
  const response = await fetch(server.url + path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const text = await response.text()
  return {
    status: response.status,
    type: response.headers.get("content-type") ?? "",
    retryAfter: response.headers.get("retry-after"),
    body: text === "" ? undefined : JSON.parse(text) as any
  }
}

/** Polls until `check` holds: at most `tries` times, 20 ms apart (a bound on a wait for an event, not a timing). */
export const until = async (check: () => boolean | Promise<boolean>, what: string, tries = 1000) => {
  for (let i = 0; i < tries; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`timed out waiting for ${what}`)
}

export const statusOf = async (server: { readonly url: string }, executionId: string) =>
  (await call(server, "GET", `/v1/executions/${executionId}`)).body?.status as string | undefined
