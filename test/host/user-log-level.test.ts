/**
 * The default `ctx.logger` under a host follows the host's chosen log level ($REPRISE_LOG_LEVEL or the `logging`
 * option), else Lambda's AWS_LAMBDA_LOG_LEVEL, as AWS's default logger does; with none, it writes every level.
 */
import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import { vi } from "vitest"
import { durable } from "../../src/index.ts"
import { type HostLogLevel, startHost } from "../../src/host/index.ts"
import { memoryPorts } from "../../src/host/memory-ports.ts"
import { makeMemoryStore } from "../../src/store/memory-store.ts"

const chatty = durable("chatty", async (_: unknown, ctx) => {
  ctx.logger.debug("a debug line")
  ctx.logger.info("an info line")
  await ctx.step("work", async ({ logger }) => logger.warn("a warning from a step"))
  ctx.logger.error("an error line")
  return "done"
})

let lines: Array<string>
beforeEach(() => {
  lines = []
  const keep = (...args: Array<unknown>) => {
    const text = String(args[0])
    if (text.includes("line") || text.includes("warning")) lines.push(JSON.parse(text).message)
  }
  vi.spyOn(console, "log").mockImplementation(keep)
  vi.spyOn(console, "error").mockImplementation(keep)
})
afterEach(() => vi.restoreAllMocks())

/** What the default logger wrote for one execution on a host with these options and environment. */
const written = async (level: HostLogLevel | undefined, env: Record<string, string>) => {
  const host = await startHost({ functions: [chatty], env: (name) => env[name], logging: { ...(level === undefined ? {} : { level }), write: () => undefined } }, memoryPorts(makeMemoryStore()))
  try {
    const { executionId } = await host.engine((e) => e.start({ functionName: "chatty", input: null }))
    const view = await host.engine((e) => e.awaitEnd(executionId))
    assert.strictEqual(view.status, "SUCCEEDED")
    return [...lines.splice(0)]
  } finally {
    await host.close()
  }
}

describe("the default ctx.logger's level on a host", () => {
  it("writes every level when no level is chosen", async () => {
    assert.deepStrictEqual(await written(undefined, {}), ["a debug line", "an info line", "a warning from a step", "an error line"])
  })

  it("follows $REPRISE_LOG_LEVEL and the logging option, in ctx.logger and in a step's logger", async () => {
    assert.deepStrictEqual(await written(undefined, { REPRISE_LOG_LEVEL: "warn" }), ["a warning from a step", "an error line"])
    assert.deepStrictEqual(await written("error", {}), ["an error line"])
    assert.deepStrictEqual(await written("none", {}), [])
  })

  it("follows AWS_LAMBDA_LOG_LEVEL when no level of its own is chosen", async () => {
    assert.deepStrictEqual(await written(undefined, { AWS_LAMBDA_LOG_LEVEL: "INFO" }), ["an info line", "a warning from a step", "an error line"])
    assert.deepStrictEqual(await written("debug", { AWS_LAMBDA_LOG_LEVEL: "ERROR" }), ["a debug line", "an info line", "a warning from a step", "an error line"])
  })
})
