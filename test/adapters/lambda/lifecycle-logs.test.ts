/**
 * reprise/lambda logs the execution's life under AWS's local test runner: one line per write, so the replays of
 * every invocation say nothing twice; a retried step and the end are there, with the execution's ARN.
 */
import { LocalDurableTestRunner } from "@aws/durable-execution-sdk-js-testing"
import { afterEach, describe, expect, it, vi } from "vitest"
import { withDurableExecution } from "../../../adapters/lambda/index.ts"
import { setUpRunnerEnvironment, tearDownRunnerEnvironment } from "./runner-environment.ts"

afterEach(() => void vi.restoreAllMocks())

describe("reprise/lambda lifecycle logs", () => {
  it("one JSON line per change: the failed attempt with its retry, the end; none repeated by replays", async () => {
    const lines: Array<Record<string, unknown>> = []
    let attempts = 0
    const handler = withDurableExecution(async (_event: unknown, ctx: any) => {
      const value = await ctx.step("flaky", async () => {
        if (++attempts === 1) throw new Error("try again")
        return 7
      }, { retryStrategy: (_e: Error, attempt: number) => ({ shouldRetry: attempt < 3, delay: { seconds: 2 } }) })
      await ctx.wait({ seconds: 5 })
      return value
    }, {
      // The level is set here: the test environment sets REPRISE_LOG_LEVEL=none to keep other tests quiet.
      logging: { format: "json", level: "info", write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) }
    })
    await setUpRunnerEnvironment({ skipTime: true })
    try {
      const runner = new LocalDurableTestRunner({ handlerFunction: handler as any }) // as the harness does (harness.ts `wrap`)
      const result = await runner.run()
      expect(result.getStatus()).toBe("SUCCEEDED")
    } finally {
      await tearDownRunnerEnvironment()
    }
    const messages = lines.map((line) => String(line.message))
    expect(messages.filter((m) => m.includes("failed on attempt 1"))).toHaveLength(1)
    expect(messages.find((m) => m.includes("failed on attempt 1"))).toMatch(/flaky.*Error: try again.*retries at/)
    expect(messages.filter((m) => m.startsWith("ended SUCCEEDED"))).toHaveLength(1)
    expect(new Set(messages).size).toBe(messages.length)
    expect(lines.every((line) => typeof line.executionId === "string" && line.functionName === "handler")).toBe(true)
  }, 60_000)

  it("are written to stderr directly, not through console.error, which Lambda's runtime turns into ERROR records", async () => {
    const written: Array<string> = []
    vi.spyOn(process.stderr, "write").mockImplementation(((chunk: unknown) => {
      written.push(String(chunk))
      return true
    }) as never)
    const viaConsole = vi.spyOn(console, "error").mockImplementation(() => undefined)
    const handler = withDurableExecution(async (_event: unknown, ctx: any) => ctx.step("one", async () => 1), {
      logging: { format: "json", level: "info" }
    })
    await setUpRunnerEnvironment({ skipTime: true })
    try {
      const result = await new LocalDurableTestRunner({ handlerFunction: handler as any }).run()
      expect(result.getStatus()).toBe("SUCCEEDED")
    } finally {
      await tearDownRunnerEnvironment()
    }
    const ended = written.filter((chunk) => chunk.includes("ended SUCCEEDED"))
    expect(ended).toHaveLength(1)
    expect(JSON.parse(ended[0]!)).toMatchObject({ level: "info", functionName: "handler" })
    expect(viaConsole.mock.calls.filter((call) => String(call[0]).includes("ended SUCCEEDED"))).toEqual([])
  }, 60_000)
})
