/**
 * The examples Worker as wrangler builds it from the root wrangler.toml (`wrangler deploy --dry-run`), run in
 * Miniflare: it serves the example functions and runs one to its end.
 */
import { execFile } from "node:child_process"
import { existsSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { afterAll, assert, describe, it } from "@effect/vitest"
import type { Miniflare } from "miniflare"
import { functions } from "../../../examples/index.ts"
import { client, removeDir, startMiniflare, tempDir } from "./miniflare-fixture.ts"

const root = fileURLToPath(new URL("../../../", import.meta.url))
const wrangler = join(root, "node_modules/wrangler/bin/wrangler.js")
let dir: string | undefined
let mf: Miniflare | undefined

afterAll(async () => {
  await mf?.dispose()
  if (dir !== undefined) removeDir(dir)
})

describe("wrangler.toml", () => {
  it("bundles the examples Worker, which serves the examples in workerd", async () => {
    dir = tempDir("wrangler")
    await promisify(execFile)(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", dir], {
      cwd: root,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" }
    })
    const scriptPath = join(dir, "examples-worker.js")
    assert.isTrue(existsSync(scriptPath), "wrangler wrote the bundle")

    mf = startMiniflare({ scriptPath })
    const api = client(mf)
    assert.strictEqual((await api.request("GET", "/healthz", { anonymous: true })).status, 200)
    const listed = await api.request("GET", "/v1/functions")
    assert.sameMembers(listed.body.functions.map((f: { name: string }) => f.name), functions.map((f) => f.name))
    const paid = await api.start("payment", { customerId: "c-1", amountCents: 1250, currency: "EUR" }, { wait: 10 })
    assert.strictEqual(paid.status, 201)
    assert.strictEqual(paid.body.status, "SUCCEEDED")
    assert.strictEqual(paid.body.result.status, "paid")
  }, 60_000)
})
