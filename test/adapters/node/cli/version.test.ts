/** The code's version label (`durable(name, fn, { version })`) in `reprise get` and `list`, and `list --version`. */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { serve, type Server } from "../../../../adapters/node/serve.ts"
import { durable } from "../../../../src/index.ts"
import { reprise } from "./cli-fixture.ts"

const labelled = durable("labelled", async () => "done", { version: "2026-12-02" })
const plain = durable("plain", async () => "done")

let dir: string
let server: Server
let env: Record<string, string>

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "reprise-cli-version-"))
  server = await serve({ functions: [labelled, plain], dbPath: join(dir, "reprise.db"), port: 0, handleSignals: false })
  env = { REPRISE_URL: server.url }
})
afterAll(async () => {
  await server?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

describe("reprise and the version label", () => {
  it("get prints it, list shows it in a VERSION column and filters by it with --version", async () => {
    for (const [fn, name] of [["labelled", "with-label"], ["plain", "without-label"]]) {
      const started = await reprise(["start", fn!, "--name", name!, "--wait", "--timeout", "10"], env)
      assert.strictEqual(started.code, 0, started.stderr)
    }
    const got = await reprise(["get", "with-label"], env)
    assert.match(got.stdout, /^version    2026-12-02$/m)
    assert.notMatch((await reprise(["get", "without-label"], env)).stdout, /^version /m)
    const listed = await reprise(["list"], env)
    assert.match(listed.stdout, /^EXECUTION\s+FUNCTION\s+VERSION\s+STATUS/)
    assert.match(listed.stdout, /^with-label\s+labelled\s+2026-12-02\s+SUCCEEDED/m)
    assert.match(listed.stdout, /^without-label\s+plain\s+-\s+SUCCEEDED/m)
    const filtered = await reprise(["list", "--version", "2026-12-02"], env)
    assert.strictEqual(filtered.code, 0, filtered.stderr)
    assert.include(filtered.stdout, "with-label")
    assert.notInclude(filtered.stdout, "without-label")
    const none = await reprise(["list", "--version", "v0", "--json"], env)
    assert.deepStrictEqual(JSON.parse(none.stdout).executions, [])
    // Elsewhere --version is still this reprise's version.
    assert.match((await reprise(["--version"], env)).stdout, /^reprise \S+ \(Node /)
  })
})
