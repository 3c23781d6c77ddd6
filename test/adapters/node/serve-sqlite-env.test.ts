/** serve()'s durability setting from $REPRISE_SYNCHRONOUS: FULL runs, anything but NORMAL or FULL is refused at start. */
import { assert, describe, it } from "@effect/vitest"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { serve } from "../../../adapters/node/serve.ts"
import { durable } from "../../../src/index.ts"

const twice = durable("twice", async (n: number, ctx) => await ctx.step("double", async () => n * 2))

const withEnv = async (value: string, body: (dir: string) => Promise<void>) => {
  const before = process.env["REPRISE_SYNCHRONOUS"]
  const dir = mkdtempSync(join(tmpdir(), "reprise-sync-"))
  process.env["REPRISE_SYNCHRONOUS"] = value
  try {
    await body(dir)
  } finally {
    if (before === undefined) delete process.env["REPRISE_SYNCHRONOUS"]
    else process.env["REPRISE_SYNCHRONOUS"] = before
    rmSync(dir, { recursive: true, force: true })
  }
}

describe("serve() with $REPRISE_SYNCHRONOUS", () => {
  it("FULL: executions run and are answered", async () => {
    await withEnv("full", async (dir) => {
      const server = await serve({ functions: [twice], dbPath: join(dir, "r.db"), port: 0, handleSignals: false, logging: { level: "none" } })
      try {
        const response = await fetch(`${server.url}/v1/functions/twice/executions?wait=10`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ input: 21 })
        })
        assert.strictEqual(((await response.json()) as { result: unknown }).result, 42)
      } finally {
        await server.close()
      }
    })
  })

  it("another value is refused at start, before any file is created", async () => {
    await withEnv("sometimes", async (dir) => {
      const path = join(dir, "r.db")
      const error = await serve({ functions: [twice], dbPath: path, port: 0, handleSignals: false }).then(() => undefined, (e: unknown) => e)
      assert.instanceOf(error, TypeError)
      assert.include((error as Error).message, "REPRISE_SYNCHRONOUS")
      assert.isFalse(existsSync(path))
    })
  })
})
