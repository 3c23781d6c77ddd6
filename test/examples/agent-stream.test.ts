import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { serve, type Server } from "reprise/node"
import { createTestRunner } from "reprise/testing"
import { answerTo, httpModel, makeAgentStream, readEmissions, startFakeModelServer, type TokenEmission } from "../../examples/agent-stream.ts"

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const prompt = "what survives a crash?"
const words = answerTo(prompt)

let dir: string
let model: Awaited<ReturnType<typeof startFakeModelServer>>
let server: Server
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "reprise-agent-"))
  model = await startFakeModelServer({ delayMs: 25 })
  server = await serve({ functions: [makeAgentStream(httpModel(model.url))], dbPath: join(dir, "reprise.db"), port: 0, handleSignals: false, logging: { level: "none" } })
})
afterAll(async () => {
  await server?.close()
  await model?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

describe("examples/agent-stream", () => {
  it("a client that disconnects mid-answer and resumes with Last-Event-ID gets every chunk once, in order", async () => {
    const started = await (await fetch(`${server.url}/v1/functions/agent-stream/executions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ input: { prompt } })
    })).json() as { executionId: string }
    const received: Array<TokenEmission> = []
    for await (const emission of readEmissions(server.url, started.executionId, { stopAfter: 4 })) received.push(emission)
    assert.strictEqual(received.length, 4)
    // While the client is away, the loop goes on: wait (bounded) until it has called the model for more turns.
    for (let i = 0; i < 400 && model.calls.size < 10; i++) await sleep(10)
    assert.isAtLeast(model.calls.size, 10)
    for await (const emission of readEmissions(server.url, started.executionId, { lastEventId: received.at(-1)!.seq })) {
      received.push(emission)
    }
    assert.deepStrictEqual(received.map((e) => e.value.turn), words.map((_, turn) => turn))
    assert.strictEqual(received.map((e) => e.value.text).join(""), words.join(" "))
    assert.isTrue(received.every((e) => e.topic === "token"))
    // Each turn called the model once; the execution's result is the whole answer.
    assert.deepStrictEqual([...model.calls.values()], words.map(() => 1))
    const view = await (await fetch(`${server.url}/v1/executions/${started.executionId}?wait=10`)).json() as { status: string; result: string }
    assert.strictEqual(view.status, "SUCCEEDED")
    assert.strictEqual(view.result, words.join(" "))
    // Once it has ended, a reconnect with the last id has nothing left: 204, and the reader ends at once.
    const after: Array<TokenEmission> = []
    for await (const emission of readEmissions(server.url, started.executionId, { lastEventId: received.at(-1)!.seq })) after.push(emission)
    assert.deepStrictEqual(after, [])
  })

  it("in the test runner: one emission per turn, in order", async () => {
    const turns = new Map<number, number>()
    const runner = createTestRunner({
      functions: [makeAgentStream({
        complete: async (p, turn) => {
          turns.set(turn, (turns.get(turn) ?? 0) + 1)
          return { text: (turn === 0 ? "" : " ") + answerTo(p)[turn], done: turn >= answerTo(p).length - 1 }
        }
      })]
    })
    const execution = await runner.run("agent-stream", { prompt })
    assert.strictEqual(execution.result, words.join(" "))
    assert.deepStrictEqual(execution.emissions("token").map((e) => (e.value as { text: string }).text).join(""), words.join(" "))
    await runner.dispose()
  })
})
