/**
 * After a deploy, on Durable Objects: the Worker bundled once per deploy (fixtures/deploy-worker.ts), workerd
 * restarted on the same persisted storage with each (Miniflare disposed, a new one), driven over its HTTP socket
 * through the scenario of ../after-a-deploy. The Worker passes a stop, pause or resume of a function it does not
 * serve to the execution's object, whose engine answers it.
 */
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, assert, describe, it } from "@effect/vitest"
import type { Miniflare } from "miniflare"
import { DEPLOYS } from "../after-a-deploy/functions.ts"
import { afterADeploy } from "../after-a-deploy/scenario.ts"
import { API_KEY, bundleTo, removeDir, startMiniflare, tempDir } from "./miniflare-fixture.ts"

const entry = fileURLToPath(new URL("./fixtures/deploy-worker.ts", import.meta.url))
const dirs: Array<string> = []
let running: Miniflare | undefined

afterAll(async () => {
  await running?.dispose().catch(() => undefined)
  for (const dir of dirs) removeDir(dir)
})

describe("after a deploy, on Durable Objects (workerd restarted with another Worker)", () => {
  it("executions of a removed function are stopped and paused, changed code is paused without failing, a late callback is not running, a rewind runs under the new label", async () => {
    const build = tempDir("after-a-deploy-build")
    const persist = tempDir("after-a-deploy-data")
    dirs.push(build, persist)
    const scripts = new Map<string, string>()
    for (const deploy of DEPLOYS) {
      scripts.set(deploy, await bundleTo(entry, join(build, deploy, "worker.mjs"), { define: { REPRISE_TEST_DEPLOY: JSON.stringify(deploy) } }))
    }
    await afterADeploy(async (deploy) => {
      await running?.dispose()
      running = startMiniflare({ scriptPath: scripts.get(deploy)!, persistDir: persist })
      return { url: (await running.ready).origin, apiKey: API_KEY }
    }, assert)
  }, 120_000)
})
