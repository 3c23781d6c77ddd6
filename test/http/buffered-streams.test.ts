/**
 * Where the platform buffers responses (AppOptions.bufferedResponses, as Lambda's HTTP API behind hono/aws-lambda's
 * `handle` does) an event stream would arrive only at its end: each response is a long poll instead. It ends once it
 * has sent what there was, the client reconnects with Last-Event-ID, and every event still comes once, in order.
 */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { type Harness, makeHarness } from "./http-fixture.ts"
import { sseFrames } from "../../adapters/node/cli/follow-stream.ts"

let h: Harness | undefined
afterEach(() => h?.dispose())

const frames = async (response: Response) => {
  const out = []
  for await (const frame of sseFrames(response)) out.push(frame)
  return out
}

describe("event streams where responses are buffered", () => {
  it("an execution's events as long polls: what there is, then what comes next, then 204 after the end", async () => {
    const harness = h = makeHarness({ bufferedResponses: true })
    const { executionId, callbackId } = await harness.startApproval(2)
    const path = `/v1/executions/${executionId}/events`

    // The execution waits on its callback: the answer ends anyway, with what was written.
    const first = await frames(await harness.request("GET", path))
    const history = (await (await harness.request("GET", `/v1/executions/${executionId}/history`)).json() as { events: Array<{ seq: number }> }).events
    assert.deepStrictEqual(first.map((frame) => Number(frame.id)), history.map((event) => event.seq))

    // From the last event seen: the answer waits for the next write, and ends with it.
    const last = first.at(-1)!.id!
    const next = harness.request("GET", path, { headers: { "last-event-id": last } })
    assert.strictEqual((await harness.request("POST", `/v1/callbacks/${callbackId}/succeed`, { json: { result: "ok" } })).status, 204)
    const rest = await frames(await next)
    assert.isAbove(rest.length, 0)
    assert.strictEqual(Number(rest[0]!.id), Number(last) + 1, "none missed, none twice")
    let all = [...first, ...rest]
    // The client goes on until it is told the execution has ended (a 204), as the CLI and EventSource do.
    for (let i = 0; i < 10; i++) {
      const response = await harness.request("GET", path, { headers: { "last-event-id": all.at(-1)!.id! } })
      if (response.status === 204) break
      all = [...all, ...(await frames(response))]
    }
    const ids = all.map((frame) => Number(frame.id))
    assert.deepStrictEqual(ids, ids.map((_, i) => i + 1))
    assert.strictEqual(all.at(-1)!.event, "ExecutionSucceeded")
  })
})
