/** The Node server's log lines: written once per turn of the event loop, in order, and not lost when the process exits. */
import { assert, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { join } from "node:path"
import { logLines } from "../../../adapters/node/log-lines.ts"

const node = join(process.cwd(), "node_modules/.bin/node")
const source = join(process.cwd(), "adapters/node/log-lines.ts")

describe("log lines", () => {
  it("writes the lines of one turn once, in order, at the turn's end", async () => {
    const written: Array<string> = []
    const lines = logLines((text) => written.push(text))
    lines.write("a")
    lines.write("b")
    assert.deepStrictEqual(written, [])
    await new Promise((resolve) => setImmediate(resolve))
    lines.write("c")
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepStrictEqual(written, ["a\nb", "c"])
    lines.close()
  })

  it("writes what is pending on close, and nothing more after it for the exit", () => {
    const written: Array<string> = []
    const lines = logLines((text) => written.push(text))
    lines.write("last")
    lines.close()
    assert.deepStrictEqual(written, ["last"])
    process.emit("exit", 0)
    assert.deepStrictEqual(written, ["last"])
  })

  it("writes the pending lines to stderr when the process exits in the same turn", () => {
    const script = `import { logLines } from ${JSON.stringify(source)}
const lines = logLines()
lines.write("one")
lines.write("two")
process.exit(3)`
    const child = spawnSync(node, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 30_000 })
    assert.strictEqual(child.status, 3)
    assert.strictEqual(child.stderr, "one\ntwo\n")
  })
})
