/**
 * When an invocation ends, under AWS's local runner beside AWS's SDK: it follows the handler's own promise and the
 * durable operations it waits on (not a guess from quiet event-loop turns), and while a step body keeps it alive
 * the adapter reads the service's state and goes on with what completed, in the same invocation.
 */
import { readFile } from "node:fs/promises"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { outline, runBoth, runUnder } from "./harness.ts"

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe("reprise/lambda: the end of an invocation", () => {
  it("a 1 s wait beside a 2 s step: the waiting branch goes on when the wait completes, all in one invocation", async () => {
    const makeBody = () => async (_event: unknown, ctx: any) => {
      const result = await ctx.parallel("both", [
        { name: "waiting", func: async (branch: any) => {
          await branch.wait("short", { seconds: 1 })
          return await branch.step("after-wait", async () => "went on")
        } },
        { name: "working", func: async (branch: any) => branch.step("long", async () => {
          await sleep(2000)
          return "slow"
        }) }
      ])
      return result.getResults()
    }
    const { aws, reprise } = await runBoth(makeBody, { skipTime: false })
    expect(aws.status).toBe("SUCCEEDED")
    expect(aws.invocations).toBe(1)
    expect(reprise.status).toBe("SUCCEEDED")
    expect(reprise.result).toEqual(aws.result)
    expect(reprise.result).toEqual(["went on", "slow"])
    expect(reprise.invocations).toBe(1)
    expect(reprise.tree, outline(reprise.tree)).toEqual(aws.tree)
  }, 30_000)

  it("a retry made due while another step runs goes on in the same invocation, with the handler's local state", async () => {
    const makeBody = () => async (_event: unknown, ctx: any) => {
      let attempts = 0 // local to this run of the handler: a re-invocation starts it again at 0
      const result = await ctx.parallel("both", [
        { name: "flaky", func: async (branch: any) => branch.step("second-time-lucky", async () => {
          attempts++
          if (attempts < 2) throw new Error(`attempt ${attempts} of this run fails`)
          return `succeeded on local attempt ${attempts}`
        }, { retryStrategy: (_error: Error, attempt: number) => ({ shouldRetry: attempt < 3, delay: { seconds: 1 } }) }) },
        { name: "working", func: async (branch: any) => branch.step("long", async () => {
          await sleep(2500)
          return "slow"
        }) }
      ])
      return result.getResults()
    }
    const { aws, reprise } = await runBoth(makeBody, { skipTime: false })
    expect(aws.status).toBe("SUCCEEDED")
    expect(aws.result).toEqual(["succeeded on local attempt 2", "slow"])
    expect(reprise.status).toBe("SUCCEEDED")
    expect(reprise.result).toEqual(aws.result)
    expect(reprise.invocations).toBe(aws.invocations)
    expect(reprise.tree, outline(reprise.tree)).toEqual(aws.tree)
  }, 30_000)

  it("a wait started and never awaited does not end the invocation while the handler goes on without it", async () => {
    const makeBody = () => async (_event: unknown, ctx: any) => {
      void ctx.wait("not-awaited", { seconds: 30 })
      await sleep(200)
      return await ctx.step("after", async () => "done")
    }
    const { aws, reprise } = await runBoth(makeBody, { skipTime: false })
    expect(aws.status).toBe("SUCCEEDED")
    expect(reprise.status).toBe("SUCCEEDED")
    expect(reprise.result).toBe("done")
    expect(reprise.invocations).toBe(aws.invocations)
    expect(reprise.tree, outline(reprise.tree)).toEqual(aws.tree)
  }, 30_000)

  for (const skipTime of [false, true]) {
    it(`a handler that reads a file and awaits a plain timer before its first step succeeds${skipTime ? " (time skipped)" : ""}`, async () => {
      const makeBody = () => async (_event: unknown, ctx: any) => {
        const source = await readFile(fileURLToPath(import.meta.url), "utf8")
        await sleep(300)
        const length = await ctx.step("measure", async () => source.length)
        await sleep(100)
        return { measured: length > 0, again: await ctx.step("again", async () => "ok") }
      }
      const { aws, reprise } = await runBoth(makeBody, { skipTime })
      expect(aws.status).toBe("SUCCEEDED")
      expect(reprise.status).toBe("SUCCEEDED")
      expect(reprise.result).toEqual({ measured: true, again: "ok" })
      expect(reprise.result).toEqual(aws.result)
      expect(reprise.invocations).toBe(aws.invocations)
      expect(reprise.tree).toEqual(aws.tree)
    }, 30_000)
  }

  it("returns a result over 256 KiB in the response, as AWS's SDK does, and refuses one past Lambda's 6 MB by name", async () => {
    const { aws, reprise } = await runBoth(() => async (_event, ctx) => {
      await ctx.step("load", async () => 1)
      return { report: "r".repeat(1024 * 1024) }
    })
    expect(aws.status).toBe("SUCCEEDED")
    expect(reprise.status).toBe("SUCCEEDED")
    expect(reprise.result).toEqual(aws.result)
    const tooLarge = await runUnder("reprise", async () => "r".repeat(6 * 1024 * 1024))
    expect(tooLarge.status).toBe("FAILED")
    expect(tooLarge.error?.errorType).toBe("PayloadTooLargeError")
  }, 60_000)
})
