/**
 * The contract suite on Durable Objects in workerd: the contract Worker bundled as wrangler would and run by
 * Miniflare on a persisted storage directory, reached over its HTTP socket on 127.0.0.1. `restart()` disposes
 * Miniflare and starts a new one on the same storage (Durable Object logs and alarms persist).
 */
import { fileURLToPath } from "node:url"
import type { Miniflare } from "miniflare"
import { API_KEY, bundle, removeDir, startMiniflare, tempDir } from "../adapters/cloudflare/miniflare-fixture.ts"
import { contractSuite } from "./suite.ts"

const entry = fileURLToPath(new URL("./runtimes/contract-worker.ts", import.meta.url))

contractSuite("Durable Objects (workerd)", async () => {
  const build = tempDir("contract-build")
  const persist = tempDir("contract-data")
  const scriptPath = await bundle(entry, build)
  const open = async () => {
    const mf = startMiniflare({ scriptPath, persistDir: persist })
    return { mf, url: (await mf.ready).origin }
  }
  let current: { mf: Miniflare; url: string } = await open()
  return {
    url: () => current.url,
    apiKey: API_KEY,
    restart: async () => {
      await current.mf.dispose()
      current = await open()
    },
    close: async () => {
      await current.mf.dispose()
      removeDir(build)
      removeDir(persist)
    }
  }
}, { startTimeoutMs: 60_000 })
