/**
 * Agent streaming: a long loop of model calls, each a step, whose partial output reaches the client as it is made.
 * Every chunk is a step's result (checkpointed: a crash never calls the model again for it) and then
 * `ctx.emit("token", …)` (recorded: a replay never sends it twice). A client reads
 * GET /v1/executions/:id/emissions as Server-Sent Events and, when it drops, reconnects with Last-Event-ID and
 * goes on from the next chunk: none missed, none twice.
 *
 * Run it: `node --conditions=reprise-source examples/agent-stream.ts` starts a fake model server and a Reprise
 * server on 127.0.0.1, then a client that disconnects half-way and resumes.
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { createRetryStrategy, durable } from "reprise"

/** One call to the model: the next chunk of its answer, and whether it is the last. */
export interface Completion {
  readonly text: string
  readonly done: boolean
}
export interface Model {
  complete(prompt: string, turn: number): Promise<Completion>
}

/** A model over HTTP: POST {baseUrl}/complete with `{ prompt, turn }`. */
export const httpModel = (baseUrl: string): Model => ({
  complete: async (prompt, turn) => {
    const response = await fetch(`${baseUrl}/complete`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt, turn }),
      signal: AbortSignal.timeout(10_000)
    })
    if (!response.ok) throw new Error(`model: ${response.status} ${await response.text()}`)
    return await response.json() as Completion
  }
})

/** The fake model's answer to any prompt: one word per call. */
export const answerTo = (prompt: string): ReadonlyArray<string> =>
  `You asked: ${prompt}. Durable steps keep every chunk, and emissions carry each one to you exactly once.`.split(" ")

/** A fake model server on 127.0.0.1 (a free port), counting its calls per turn; each answer takes `delayMs`. */
export const startFakeModelServer = async (options: { delayMs?: number } = {}) => {
  const calls = new Map<number, number>()
  const server = createServer((request, response) => {
    let body = ""
    request.on("data", (chunk) => (body += String(chunk)))
    request.on("end", () => {
      const { prompt, turn } = JSON.parse(body) as { prompt: string; turn: number }
      calls.set(turn, (calls.get(turn) ?? 0) + 1)
      const words = answerTo(prompt)
      setTimeout(() => {
        response.setHeader("content-type", "application/json")
        response.end(JSON.stringify({ text: (turn === 0 ? "" : " ") + words[turn], done: turn >= words.length - 1 }))
      }, options.delayMs ?? 20)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

const MAX_TURNS = 200

export const makeAgentStream = (model: Model) =>
  durable("agent-stream", async ({ prompt }: { prompt: string }, ctx) => {
    let answer = ""
    for (let turn = 0; turn < MAX_TURNS; turn++) {
      const chunk = await ctx.step(`turn-${turn}`, () => model.complete(prompt, turn), {
        retryStrategy: createRetryStrategy({ maxAttempts: 3, initialDelay: { seconds: 1 } })
      })
      answer += chunk.text
      await ctx.emit("token", { turn, text: chunk.text })
      if (chunk.done) break
    }
    return answer
  }, { description: "Agent streaming: model calls in a loop, each chunk emitted to clients as it comes" })

/** One emission as the stream sends it. */
export interface TokenEmission {
  readonly seq: number
  readonly topic: string
  readonly value: { readonly turn: number; readonly text: string }
}

/**
 * Reads an execution's emissions over SSE, from after `lastEventId`, until the stream ends (the execution ended)
 * or `stopAfter` emissions were read (the client goes away). What a browser's EventSource does, by hand.
 */
export async function* readEmissions(
  serverUrl: string,
  executionId: string,
  options: { lastEventId?: number; stopAfter?: number; headers?: Record<string, string> } = {}
): AsyncGenerator<TokenEmission> {
  const controller = new AbortController()
  const response = await fetch(`${serverUrl}/v1/executions/${executionId}/emissions`, {
    headers: {
      accept: "text/event-stream",
      ...(options.lastEventId === undefined ? {} : { "last-event-id": String(options.lastEventId) }),
      ...options.headers
    },
    signal: controller.signal
  })
  if (response.status === 204) return // ended, nothing after the cursor
  if (!response.ok || response.body === null) throw new Error(`emissions: ${response.status} ${await response.text()}`)
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ""
  let read = 0
  try {
    for (;;) {
      const end = buffer.indexOf("\n\n")
      if (end < 0) {
        const chunk = await reader.read()
        if (chunk.done) return
        buffer += chunk.value
        continue
      }
      const frame = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const data = frame.split("\n").find((line) => line.startsWith("data: "))
      if (data === undefined || !frame.includes("event: emission")) continue // keep-alive comments
      yield JSON.parse(data.slice("data: ".length)) as TokenEmission
      if (++read >= (options.stopAfter ?? Number.POSITIVE_INFINITY)) return
    }
  } finally {
    controller.abort()
  }
}

/** The demo: a fake model, a server, a client that drops after five chunks and resumes where it stopped. */
const demo = async () => {
  const { serve } = await import("reprise/node")
  const { mkdtempSync } = await import("node:fs")
  const { tmpdir } = await import("node:os")
  const { join } = await import("node:path")
  const model = await startFakeModelServer({ delayMs: 100 })
  const server = await serve({ functions: [makeAgentStream(httpModel(model.url))], dbPath: join(mkdtempSync(join(tmpdir(), "agent-")), "reprise.db"), port: 0 })
  const started = await (await fetch(`${server.url}/v1/functions/agent-stream/executions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ input: { prompt: "what survives a crash?" } })
  })).json() as { executionId: string }
  let last: number | undefined
  for await (const emission of readEmissions(server.url, started.executionId, { stopAfter: 5 })) {
    process.stdout.write(emission.value.text)
    last = emission.seq
  }
  process.stdout.write(" [client disconnected; reconnecting in 1 s]")
  await new Promise((resolve) => setTimeout(resolve, 1000))
  for await (const emission of readEmissions(server.url, started.executionId, last === undefined ? {} : { lastEventId: last })) {
    process.stdout.write(emission.value.text)
  }
  process.stdout.write("\n")
  await server.close()
  await model.close()
}

if (import.meta.main) await demo()
