/**
 * The Worker bench/cloudflare.ts runs in Miniflare: the Reprise Worker with the bench functions, a Cloudflare
 * Workflow doing the same work, and /bench/* routes that run one workload each inside workerd (so that both
 * systems are driven the same way: one request from Node per measured unit).
 */
import { DurableObject, WorkflowEntrypoint } from "cloudflare:workers"
import { durable } from "../src/index.ts"
import { createWorker } from "../adapters/cloudflare/index.ts"
import { startHost } from "../src/host/index.ts"
import { memoryPorts } from "../src/host/memory-ports.ts"
import { makeMemoryStore } from "../src/store/memory-store.ts"
import type { RepriseEnv } from "../adapters/cloudflare/env.ts"

const steps = durable("steps", async (input: { n: number }, ctx) => {
  let total = 0
  for (let i = 0; i < input.n; i++) total += await ctx.step(async () => i)
  return total
})

/** `n` steps, then a callback (whose id the last step publishes). */
const stepsThenCallback = durable("steps-then-callback", async (input: { n: number }, ctx) => {
  for (let i = 0; i < input.n; i++) await ctx.step(async () => i)
  const [answer, callbackId] = await ctx.createCallback("go")
  await ctx.step("publish", async () => callbackId)
  return await answer
})

const worker = createWorker({ functions: [steps, stepsThenCallback] })
export const { ExecutionObject, IndexObject } = worker

interface Instance {
  status(): Promise<{ status: string; error?: unknown; __LOCAL_DEV_STEP_OUTPUTS?: ReadonlyArray<unknown> }>
  sendEvent(event: { type: string; payload?: unknown }): Promise<void>
}
interface Env extends RepriseEnv {
  readonly FLOW: { create(options: { id?: string; params: unknown }): Promise<Instance>; get(id: string): Promise<Instance> }
  readonly FLOOR: { getByName(name: string): { wait(): Promise<string>; complete(): Promise<void> } }
}

/**
 * What W4 cannot go below on Durable Objects in this Miniflare: an object that commits one small write and answers
 * an RPC waiting on it (W4 adds the Worker's HTTP route, the engine, and a second write). `wait` writes first, so
 * that the object and its database exist before the timed part, as a prepared execution's do.
 */
export class FloorObject extends DurableObject {
  #waiters: Array<(value: string) => void> = []
  #write() {
    this.ctx.storage.transactionSync(() => this.ctx.storage.kv.put(`event-${Date.now()}-${Math.random()}`, { type: "CallbackSucceeded", result: "\"go\"", at: Date.now() }))
  }
  wait(): Promise<string> {
    this.#write()
    return new Promise((resolve) => this.#waiters.push(resolve))
  }
  complete(): void {
    this.#write()
    for (const resolve of this.#waiters.splice(0)) resolve("done")
  }
}
interface Step {
  do<T>(name: string, body: () => Promise<T>): Promise<T>
  waitForEvent(name: string, options: { type: string; timeout?: string }): Promise<unknown>
}

/** The same work as a Workflow: `n` step.do calls, then (with `wait`) one step.waitForEvent. */
export class BenchFlow extends WorkflowEntrypoint<Env, { n: number; wait?: boolean }> {
  async run(event: { readonly payload: { n: number; wait?: boolean } }, untypedStep: unknown) {
    const step = untypedStep as Step
    let total = 0
    for (let i = 0; i < event.payload.n; i++) total += await step.do(`s${i}`, async () => i)
    if (event.payload.wait === true) await step.waitForEvent("go", { type: "go", timeout: "1 hour" })
    return total
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const POLL_MS = 2

/** Polls a Workflow instance every POLL_MS until it is complete (or, with `steps`, has finished that many steps). */
const until = async (instance: Instance, steps?: number) => {
  for (;;) {
    const { status, error, __LOCAL_DEV_STEP_OUTPUTS: outputs } = await instance.status()
    if (status === "complete") return status
    if (status === "errored" || status === "terminated") throw new Error(`workflow ${status}: ${JSON.stringify(error)}`)
    if (steps !== undefined && (outputs?.length ?? 0) >= steps) {
      await pause(50) // let it reach step.waitForEvent (local Workflows still say "running" there)
      return status
    }
    await pause(POLL_MS)
  }
}

const api = (env: Env, method: string, path: string, body?: unknown) =>
  worker.fetch(new Request(`http://bench${path}`, {
    method,
    headers: { "content-type": "application/json", ...(env.REPRISE_API_KEY === undefined ? {} : { authorization: `Bearer ${env.REPRISE_API_KEY}` }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  }), env)

const start = async (env: Env, fn: string, name: string | undefined, n: number, wait: boolean) => {
  // The ?wait answer stays lean (counts only); preparation reads the operations.
  const res = await api(env, "POST", `/v1/functions/${fn}/executions${wait ? "?wait=60" : "?operations=true"}`, { input: { n }, ...(name === undefined ? {} : { executionName: name }) })
  if (res.status >= 300) throw new Error(`start ${fn}: ${res.status} ${await res.text()}`)
  return (await res.json()) as { status: string; operations: Array<{ type: string; name?: string; status: string; callbackId?: string }> }
}

const succeeded = (view: { status: string }) => {
  if (view.status !== "SUCCEEDED") throw new Error(`execution ${view.status}`)
  return view.status
}

const routes: Record<string, (env: Env, q: URLSearchParams) => Promise<unknown>> = {
  "/bench/reprise/run": async (env, q) => succeeded(await start(env, q.get("fn")!, q.get("name")!, Number(q.get("n")), true)),
  /** Starts and returns the callback id once the execution waits on it (preparation, not timed). */
  "/bench/reprise/prepare": async (env, q) => {
    for (;;) {
      const view = await start(env, "steps-then-callback", q.get("name")!, Number(q.get("n")), false)
      const published = view.operations.some((op) => op.name === "publish" && op.status === "SUCCEEDED")
      const callbackId = view.operations.find((op) => op.type === "CALLBACK")?.callbackId
      if (published && callbackId !== undefined) return callbackId
      await pause(5)
    }
  },
  /**
   * Completes the callback and times until a client has the result. With `waiter=1` (W4) that client is already
   * waiting (an idempotent repeat of the start with ?wait, sent first); otherwise it asks after the completion (the
   * cold resume, where the completion is what loads the execution).
   */
  "/bench/reprise/complete": async (env, q) => {
    const name = q.get("name")!
    const n = Number(q.get("n"))
    const waiter = q.get("waiter") === "1" ? start(env, "steps-then-callback", name, n, true) : undefined
    if (waiter !== undefined) await pause(20) // let the waiting request reach the object
    const t0 = Date.now() // workerd's clock moves at I/O: good to the millisecond across the awaits below
    const completed = await api(env, "POST", `/v1/callbacks/${q.get("cb")}/succeed`, { result: "\"go\"" })
    if (completed.status !== 204) throw new Error(`callback: ${completed.status} ${await completed.text()}`)
    succeeded(await (waiter ?? start(env, "steps-then-callback", name, n, true)))
    return Date.now() - t0
  },
  /** W2: `count` starts at once, each waiting for its end; with `named=1`, each under an executionName (a keyed start). */
  "/bench/reprise/fanout": async (env, q) => {
    const names = Array.from({ length: Number(q.get("count")) }, (_, i) => q.get("named") === "1" ? `${q.get("name")}-${i}` : undefined)
    return (await Promise.all(names.map(async (name) => succeeded(await start(env, "steps", name, Number(q.get("n")), true))))).length
  },
  /**
   * W2 on the engine in memory inside this isolate (no Durable Object, no storage): what running the executions
   * costs workerd's V8, to set beside the same host in Node (bench/workloads.ts, "engine in memory"). A host per
   * request: workerd does not let one request's timers and promises serve another.
   */
  "/bench/reprise/engine-fanout": async (_env, q) => {
    const host = await startHost({ functions: [steps], env: () => undefined, logging: { level: "warn" } }, memoryPorts(makeMemoryStore()))
    try {
      const run = async () => {
        const { executionId } = await host.engine((e) => e.start({ functionName: "steps", input: { n: Number(q.get("n")) } }))
        return succeeded(await host.engine((e) => e.awaitEnd(executionId)))
      }
      return (await Promise.all(Array.from({ length: Number(q.get("count")) }, run))).length
    } finally {
      await host.close()
    }
  },
  /** The floor under W4 (FloorObject), timed as `/bench/reprise/complete` times W4. */
  "/bench/floor/complete": async (env, q) => {
    const floor = env.FLOOR.getByName(q.get("name")!)
    const waiter = floor.wait()
    await pause(20)
    const t0 = Date.now()
    await floor.complete()
    await waiter
    return Date.now() - t0
  },
  "/bench/wf/run": async (env, q) => until(await env.FLOW.create({ id: q.get("name")!, params: { n: Number(q.get("n")) } })),
  "/bench/wf/prepare": async (env, q) => until(await env.FLOW.create({ id: q.get("name")!, params: { n: Number(q.get("n")), wait: true } }), Number(q.get("n"))),
  "/bench/wf/complete": async (env, q) => {
    const t0 = Date.now()
    const instance = await env.FLOW.get(q.get("name")!)
    await instance.sendEvent({ type: "go", payload: "go" })
    await until(instance)
    return Date.now() - t0
  },
  "/bench/wf/fanout": async (env, q) => {
    const ids = Array.from({ length: Number(q.get("count")) }, (_, i) => q.get("named") === "1" ? `${q.get("name")}-${i}` : undefined)
    const instances = await Promise.all(ids.map((id) => env.FLOW.create({ ...(id === undefined ? {} : { id }), params: { n: Number(q.get("n")) } })))
    return (await Promise.all(instances.map((instance) => until(instance)))).length
  }
}

export default {
  fetch: async (request: Request, env: Env): Promise<Response> => {
    const url = new URL(request.url)
    const route = routes[url.pathname]
    if (route === undefined) return worker.fetch(request, env)
    try {
      return Response.json({ value: await route(env, url.searchParams) })
    } catch (error) {
      return Response.json({ error: String(error) }, { status: 500 })
    }
  }
}
