/**
 * A Durable Object keeps its execution in memory and never evicts it, so its host drops the watchdog itself once the
 * execution only waits: the stored alarm becomes the execution's next timer (or its timeout), rather than a wake-up
 * every 30 s for as long as it waits.
 */
import { fileURLToPath } from "node:url"
import { afterAll, assert, describe, it } from "@effect/vitest"
import type { Miniflare } from "miniflare"
import { bundle, client, removeDir, startMiniflare, tempDir, until, untilCallback } from "./miniflare-fixture.ts"

const entry = fileURLToPath(new URL("./fixtures/test-worker.ts", import.meta.url))
const dirs: Array<string> = []
let mf: Miniflare | undefined

afterAll(async () => {
  await mf?.dispose().catch(() => undefined)
  for (const dir of dirs) removeDir(dir)
})

const DAY_MS = 24 * 3600 * 1000

describe("a Durable Object whose execution waits", () => {
  it("drops the watchdog: the stored alarm is the execution's next timer, not 30 s away", { timeout: 90_000 }, async () => {
    const build = tempDir("idle-alarm-build")
    dirs.push(build)
    mf = startMiniflare({ scriptPath: await bundle(entry, build) })
    const api = client(mf)
    const objects = (await mf.getDurableObjectNamespace("EXECUTIONS")) as unknown as { getByName(name: string): { storedAlarm(): Promise<number | null> } }
    const alarmIn = async (executionId: string) => {
      const at = await objects.getByName(executionId).storedAlarm()
      return at === null ? undefined : at - Date.now()
    }
    // Waits on a callback with no timeout: its only timer is the execution's timeout (366 days).
    const started = await api.start("waiter", {})
    assert.strictEqual(started.status, 201)
    const id = started.body.executionId as string
    await untilCallback(api, id)
    const later = await until(async () => {
      const left = await alarmIn(id)
      return left !== undefined && left > DAY_MS ? left : undefined
    }, 20_000, "the alarm to fall back to the execution's timeout")
    assert.isAbove(later, 300 * DAY_MS)
  })
})
