/**
 * The PostgreSQL lifecycle bus sends its notifications one after another, so that the other hosts hear a host's
 * changes in the order it wrote them (sent side by side on the pool, a resume could commit before its pause).
 */
import { assert, describe, it } from "@effect/vitest"
import { vi } from "vitest"
import { makeLifecycleBus, NOTIFY_WAIT_MS } from "../../../adapters/postgres/postgres-lifecycle.ts"
import type { PgListener } from "../../../adapters/postgres/pg-shapes.ts"

const change = (event: string, seq: number) => ({ executionId: "e", functionName: "f", status: "RUNNING" as const, event, at: 0, seq })

describe("the PostgreSQL lifecycle bus", () => {
  it("sends a turn's notification only once the one before it is done", async () => {
    const sent: Array<string> = []
    const finish: Array<() => void> = []
    const pool = {
      query: (_text: string, values?: Array<unknown>) => {
        sent.push(JSON.parse(values![1] as string).c[0].event)
        return new Promise<never>((resolve) => finish.push(() => resolve({ rows: [] } as never)))
      }
    }
    const bus = makeLifecycleBus(pool as never, "s", () => Promise.reject(new Error("no listener here")) as Promise<PgListener>, "host-a")
    const turn = () => new Promise((resolve) => setTimeout(resolve, 5))

    bus.publish(change("ExecutionPaused", 2))
    await turn()
    bus.publish(change("ExecutionResumed", 3))
    await turn()
    assert.deepStrictEqual(sent, ["ExecutionPaused"], "the resume waits for the pause's notification")

    finish[0]!()
    await turn()
    assert.deepStrictEqual(sent, ["ExecutionPaused", "ExecutionResumed"])
    finish[1]!()
  })

  it("does not let a notification that never answers hold the ones after it", async () => {
    vi.useFakeTimers()
    try {
      const sent: Array<string> = []
      const pool = {
        query: (_text: string, values?: Array<unknown>) => {
          sent.push(JSON.parse(values![1] as string).c[0].event)
          return sent.length === 1 ? new Promise<never>(() => undefined) : Promise.resolve({ rows: [] })
        }
      }
      const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined)
      const bus = makeLifecycleBus(pool as never, "s", () => Promise.reject(new Error("no listener here")) as Promise<PgListener>, "host-a")
      bus.publish(change("ExecutionPaused", 2))
      await vi.advanceTimersByTimeAsync(1)
      bus.publish(change("ExecutionResumed", 3))
      await vi.advanceTimersByTimeAsync(NOTIFY_WAIT_MS - 100)
      assert.deepStrictEqual(sent, ["ExecutionPaused"])
      await vi.advanceTimersByTimeAsync(200)
      assert.deepStrictEqual(sent, ["ExecutionPaused", "ExecutionResumed"], "the stuck one is given up, the next goes")
      assert.strictEqual(warn.mock.calls.length, 1)
      warn.mockRestore()
    } finally {
      vi.useRealTimers()
    }
  })
})
