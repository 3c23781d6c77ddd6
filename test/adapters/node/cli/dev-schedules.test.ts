/**
 * `reprise dev <file>` serves the schedules the file exports beside its functions, as `serve({ functions, schedules })`
 * would, names them in its "serving" line, and reads them again on each save. A schedule the server cannot take (of a
 * function the file does not export) is said in one line, and the next save mends it.
 */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { finish, freePort, start, until } from "./cli-fixture.ts"

const REPRISE = pathToFileURL(join(import.meta.dirname, "../../../../src/index.ts")).href

/** A function and a schedule of `starts` (a yearly cron: no tick comes while the test runs). */
const functionsFile = (scheduleName: string, starts = "ticker") => `import { durable, schedule } from ${JSON.stringify(REPRISE)}
export const ticker = durable("ticker", async () => "tick")
export const ${scheduleName.replace(/-/g, "_")} = schedule(${JSON.stringify(scheduleName)}, { function: ${JSON.stringify(starts)}, cron: "@yearly" })
export const schedules = [${scheduleName.replace(/-/g, "_")}] // exported twice: served once
`

let dir: string | undefined
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

describe("reprise dev and the file's schedules", () => {
  it("serves them, says so, and reads them again on each save", async () => {
    dir = mkdtempSync(join(tmpdir(), "reprise-dev-schedules-"))
    const file = join(dir, "functions.ts")
    writeFileSync(file, functionsFile("yearly-report"))
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    const child = start(["dev", file, "--port", String(port), "--db", join(dir, "dev.db")], {})
    const exited = finish(child, 60_000)
    let printed = ""
    child.stderr?.on("data", (chunk) => (printed += chunk))

    const scheduleNames = async () => {
      const body = await (await fetch(`${url}/v1/schedules`)).json() as { schedules: Array<{ name: string }> }
      return body.schedules.map((entry) => entry.name).join(",")
    }
    const scheduled = (expected: string) =>
      until(async () => ((await scheduleNames()) === expected ? true : undefined), `schedules ${expected} to be served`, 20_000)

    try {
      await scheduled("yearly-report")
      assert.match(printed, /reprise dev: serving ticker and schedule yearly-report at http:\/\/127\.0\.0\.1:\d+/)
      const trigger = await fetch(`${url}/v1/schedules/yearly-report/trigger`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })
      assert.strictEqual(trigger.status, 201, await trigger.text())

      // A schedule of a function the file does not export: one line, no server, still watching.
      writeFileSync(file, functionsFile("yearly-report", "no-such-function"))
      await until(async () => (printed.includes("which is not among the registered functions; waiting for a change") ? true : undefined), "the refusal", 20_000)

      // The next save is read again: the renamed schedule is the one served.
      writeFileSync(file, functionsFile("yearly-audit"))
      await scheduled("yearly-audit")
    } finally {
      child.kill("SIGTERM")
    }
    const result = await exited
    assert.strictEqual(result.code, 0, result.stderr)
    assert.match(result.stderr, /serving ticker and schedule yearly-audit at /)
    assert.notInclude(result.stderr, "the server stopped", "a schedule refused is said once, by the server")
    assert.notMatch(result.stderr, /\n\s+at /, "no stack")
  }, 90_000)
})
