/**
 * The default `ctx.logger` on Lambda writes what AWS's does, where AWS's does: the same fields (`executionArn`, the
 * request id, the service's operation id) in one JSON line, straight to stdout and stderr. Through `console`, which
 * Lambda's runtime patches, each line was wrapped in another; and the fields were Reprise's own.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest"
import { type Body, runUnder, type Sdk } from "./harness.ts"

const body: Body = async (_event, ctx) => {
  ctx.logger.info("outside")
  await ctx.step("work", async (step: { logger: { warn: (...p: Array<unknown>) => void } }) => step.logger.warn("inside"))
  // A context's logger names the child context or batch item whose code logs.
  await ctx.runInChildContext("kid", async (kid: any) => kid.logger.info("inside the child"))
  await ctx.map("items", ["x"], async (item: any) => item.logger.info("inside an item"))
  return "done"
}

/** The lines of one run that carry our messages, as written to each stream, and what went through console. */
const capture = async (sdk: Sdk) => {
  const written: Array<{ stream: "stdout" | "stderr"; line: Record<string, unknown> }> = []
  const spy = (stream: "stdout" | "stderr") =>
    vi.spyOn(process[stream], "write").mockImplementation(((chunk: unknown) => {
      for (const text of String(chunk).split("\n")) {
        if (!/"(outside|inside[^"]*)"/.test(text)) continue
        written.push({ stream, line: JSON.parse(text) as Record<string, unknown> })
      }
      return true
    }) as never)
  const out = spy("stdout")
  const err = spy("stderr")
  const viaConsole = vi.spyOn(console, "log")
  const viaConsoleError = vi.spyOn(console, "error")
  try {
    const outcome = await runUnder(sdk, body)
    expect(outcome.status).toBe("SUCCEEDED")
  } finally {
    out.mockRestore()
    err.mockRestore()
  }
  const consoleLines = [...viaConsole.mock.calls, ...viaConsoleError.mock.calls].map((call) => String(call[0])).filter((text) => text.includes("outside") || text.includes("inside"))
  viaConsole.mockRestore()
  viaConsoleError.mockRestore()
  return { written, consoleLines }
}

/** What the two must agree on: the stream, the fields in order, and every value but the time and the run's ids. */
const shape = (lines: ReadonlyArray<{ stream: string; line: Record<string, unknown> }>) =>
  lines.map(({ stream, line }) => ({
    stream,
    keys: Object.keys(line),
    line: { ...line, timestamp: typeof line.timestamp, requestId: typeof line.requestId, executionArn: typeof line.executionArn }
  }))

// The tests' servers run with REPRISE_LOG_LEVEL=none (vitest.config.ts), which quiets ctx.logger too: not here.
const quiet = process.env.REPRISE_LOG_LEVEL
beforeEach(() => void delete process.env.REPRISE_LOG_LEVEL)
afterEach(() => {
  process.env.REPRISE_LOG_LEVEL = quiet
  vi.restoreAllMocks()
})

describe("the default ctx.logger on Lambda", () => {
  it("writes AWS's fields, straight to stdout and stderr, as AWS's SDK does, naming the child context that logs", async () => {
    const aws = await capture("aws")
    const reprise = await capture("reprise")
    expect(aws.written.map((w) => w.line.message)).toEqual(["outside", "inside", "inside the child", "inside an item"])
    expect(shape(reprise.written)).toEqual(shape(aws.written))
    expect(reprise.consoleLines).toEqual([])
  })
})
