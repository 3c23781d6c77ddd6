/**
 * serve()'s SQLite settings from the environment: $REPRISE_SYNCHRONOUS (FULL runs) and $REPRISE_SQLITE_LOCKING
 * (exclusive runs and keeps other connections out until the server closes); any other value is refused at start.
 * So is a $PORT that is not a port number.
 */
import { DatabaseSync } from "node:sqlite"
import { assert, describe, it } from "@effect/vitest"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { serve } from "../../../adapters/node/serve.ts"
import { durable } from "../../../src/index.ts"

const twice = durable("twice", async (n: number, ctx) => await ctx.step("double", async () => n * 2))

const withEnv = async (name: string, value: string, body: (dir: string) => Promise<void>) => {
  const before = process.env[name]
  const dir = mkdtempSync(join(tmpdir(), "reprise-sync-"))
  process.env[name] = value
  try {
    await body(dir)
  } finally {
    if (before === undefined) delete process.env[name]
    else process.env[name] = before
    rmSync(dir, { recursive: true, force: true })
  }
}

/** serve() on a fresh file, expected to refuse to start: its message, once checked that no file was created. */
const refusedAtStart = async (dir: string, options: Record<string, unknown> = {}) => {
  const path = join(dir, "r.db")
  const settings = { functions: [twice], dbPath: path, port: 0, handleSignals: false, ...options } as Parameters<typeof serve>[0]
  const error = await serve(settings).then(() => undefined, (e: unknown) => e)
  assert.instanceOf(error, TypeError)
  assert.isFalse(existsSync(path))
  return (error as Error).message
}

const runTwice = async (url: string) => {
  const response = await fetch(`${url}/v1/functions/twice/executions?wait=10`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ input: 21 })
  })
  return ((await response.json()) as { result: unknown }).result
}

describe("serve() with $REPRISE_SYNCHRONOUS", () => {
  it("FULL: executions run and are answered", async () => {
    await withEnv("REPRISE_SYNCHRONOUS", "full", async (dir) => {
      const server = await serve({ functions: [twice], dbPath: join(dir, "r.db"), port: 0, handleSignals: false, logging: { level: "none" } })
      try {
        assert.strictEqual(await runTwice(server.url), 42)
      } finally {
        await server.close()
      }
    })
  })

  it("another value is refused at start, before any file is created", async () => {
    await withEnv("REPRISE_SYNCHRONOUS", "sometimes", async (dir) => {
      assert.include(await refusedAtStart(dir), "REPRISE_SYNCHRONOUS")
    })
  })
})

describe("serve() with $REPRISE_SQLITE_LOCKING", () => {
  it("exclusive: executions run, and no other connection can read the file until the server closes", async () => {
    await withEnv("REPRISE_SQLITE_LOCKING", "EXCLUSIVE", async (dir) => {
      const path = join(dir, "r.db")
      const server = await serve({ functions: [twice], dbPath: path, port: 0, handleSignals: false, logging: { level: "none" } })
      const count = () => {
        const other = new DatabaseSync(path, { timeout: 20 })
        try {
          return other.prepare("SELECT count(*) AS n FROM executions").get()?.["n"]
        } finally {
          other.close()
        }
      }
      try {
        assert.strictEqual(await runTwice(server.url), 42)
        assert.throws(count, /locked/)
      } finally {
        await server.close()
      }
      assert.strictEqual(count(), 1)
    })
  })

  it("another value is refused at start, before any file is created", async () => {
    await withEnv("REPRISE_SQLITE_LOCKING", "shared", async (dir) => {
      assert.include(await refusedAtStart(dir), "REPRISE_SQLITE_LOCKING")
    })
  })

  it("a bad value passed to serve() itself is refused too (untyped JavaScript), naming the option", async () => {
    await withEnv("REPRISE_SQLITE_LOCKING", "", async (dir) => {
      assert.include(await refusedAtStart(dir, { locking: "shared" }), "serve({ locking })")
    })
  })
})

describe("serve() with $PORT", () => {
  it("a $PORT that is not a port number is refused at start, naming it, before any file is created", async () => {
    await withEnv("PORT", "abc", async (dir) => {
      assert.strictEqual(await refusedAtStart(dir, { port: undefined }), 'PORT must be a port number (0 to 65535), not "abc"')
    })
  })
})
