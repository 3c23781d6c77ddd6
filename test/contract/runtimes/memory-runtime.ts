/**
 * The in-memory runtime: the Hono app from reprise/http over the in-memory store, on a real HTTP server on
 * 127.0.0.1. Nothing else delivers the store's alarms here, so this file arms one timer per execution alarm (the
 * smallest host there is). `restart()` disposes the engine (every actor goes) and builds a new one on the same
 * store, so the next event replays the log. The one file of the suite that needs the engine API (reprise/engine);
 * it can move to the runtime-neutral host once there is one.
 */
import { createAdaptorServer } from "@hono/node-server"
import { Effect, Layer, ManagedRuntime } from "effect"
import type { AddressInfo } from "node:net"
import type { DurableFunction } from "reprise"
import { Engine } from "reprise/engine"
import { createApp, signedCallbackIds } from "reprise/http"
import { ExecutionStore, type ExecutionStoreShape, makeMemoryStore } from "reprise/store"
import type { ContractRuntime } from "../runtime.ts"

const SECRET = "contract-memory-secret-0123456789"
/** setTimeout's limit; a later alarm is re-armed when this one goes off. */
const MAX_DELAY_MS = 2 ** 31 - 1

export const startMemoryRuntime = async (functions: ReadonlyArray<DurableFunction>, apiKey: string): Promise<ContractRuntime> => {
  const store = makeMemoryStore()
  let engine = bootEngine(store, functions)
  let app = createApp({ runtime: engine.runtime, apiKey })
  const http = createAdaptorServer({ fetch: (request: Request) => app.fetch(request) })
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject)
    http.listen(0, "127.0.0.1", () => resolve())
  })
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  return {
    url: () => url,
    apiKey,
    restart: async () => {
      await engine.stop()
      engine = bootEngine(store, functions)
      app = createApp({ runtime: engine.runtime, apiKey })
      await engine.resume()
    },
    close: async () => {
      await new Promise<void>((resolve) => http.close(() => resolve()))
      ;(http as { closeAllConnections?: () => void }).closeAllConnections?.()
      await engine.stop()
    }
  }
}

/** An engine on the store whose alarms go off on timers: one per execution, re-armed whenever the alarm moves. */
const bootEngine = (store: ReturnType<typeof makeMemoryStore>, functions: ReadonlyArray<DurableFunction>) => {
  const timers = new Map<string, ReturnType<typeof setTimeout>>()
  let stopped = false
  const disarm = (executionId: string) => {
    clearTimeout(timers.get(executionId))
    timers.delete(executionId)
  }
  const arm = (executionId: string, at: number): void => {
    disarm(executionId)
    const timer = setTimeout(() => {
      timers.delete(executionId)
      if (stopped) return
      if (at > Date.now()) return arm(executionId, at)
      runtime.runPromise(Engine.use((e) => e.alarm(executionId))).catch((error) => console.error(`contract memory runtime: alarm of ${executionId}:`, error))
    }, Math.min(Math.max(0, at - Date.now()), MAX_DELAY_MS))
    timer.unref()
    timers.set(executionId, timer)
  }
  const withTimers: ExecutionStoreShape = {
    ...store,
    setAlarm: (executionId, at) => Effect.map(store.setAlarm(executionId, at), () => arm(executionId, at)),
    deleteAlarm: (executionId) => Effect.map(store.deleteAlarm(executionId), () => disarm(executionId))
  }
  const layer = Engine.layer({ functions, callbackIds: signedCallbackIds(SECRET) })
  const runtime = ManagedRuntime.make(layer.pipe(Layer.provide(Layer.succeed(ExecutionStore, withTimers))))
  return {
    runtime,
    /** Arms the alarms found in the store, as a process starting on it would. */
    resume: async () => {
      for (const executionId of store.kvs.keys()) {
        const at = await Effect.runPromise(store.getAlarm(executionId))
        if (at !== undefined) arm(executionId, at)
      }
    },
    stop: async () => {
      stopped = true
      for (const executionId of [...timers.keys()]) disarm(executionId)
      await runtime.dispose()
    }
  }
}
