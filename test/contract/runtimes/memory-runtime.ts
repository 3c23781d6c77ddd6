/**
 * The in-memory runtime: the runtime-neutral host (reprise/host) over the in-memory store, its app on a real HTTP
 * server on 127.0.0.1. `restart()` closes the host (every actor goes, the timer stops) and starts a new one on the
 * same store, as a process restarting on a database would: the next event replays the log.
 */
import { createAdaptorServer } from "@hono/node-server"
import type { Hono } from "hono"
import type { AddressInfo } from "node:net"
import type { DurableFunction } from "reprise"
import { type Host, memoryPorts, startHost } from "reprise/host"
import { makeMemoryStore } from "reprise/store"
import type { ContractRuntime } from "../runtime.ts"

const SECRET = "contract-memory-secret-0123456789"

export const startMemoryRuntime = async (functions: ReadonlyArray<DurableFunction>, apiKey: string): Promise<ContractRuntime> => {
  const store = makeMemoryStore()
  const boot = (): Promise<Host> =>
    startHost({ functions, secret: SECRET, apiKey, env: () => undefined, onError: (error) => console.error("contract memory host:", error) }, memoryPorts(store))
  let host = await boot()
  let app: Hono = host.app
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
      await host.close()
      host = await boot()
      app = host.app
    },
    close: async () => {
      await new Promise<void>((resolve) => http.close(() => resolve()))
      ;(http as { closeAllConnections?: () => void }).closeAllConnections?.()
      await host.close()
    }
  }
}
