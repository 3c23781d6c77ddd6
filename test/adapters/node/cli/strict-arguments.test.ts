/**
 * Command lines that would do something else than they say are usage errors (exit 2): an option given twice, a
 * --url with credentials, a query or a fragment, a succeed payload that is not JSON. And `list`'s "More:" hint
 * keeps the filters and --limit.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { serve, type Server } from "../../../../adapters/node/serve.ts"
import { durable } from "../../../../src/index.ts"
import { reprise } from "./cli-fixture.ts"

const quick = durable("quick", async (input: unknown) => input)

let dir: string
let server: Server
let env: Record<string, string>

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "reprise-cli-strict-"))
  server = await serve({ functions: [quick], dbPath: join(dir, "reprise.db"), port: 0, handleSignals: false })
  env = { REPRISE_URL: server.url }
})
afterAll(async () => {
  await server?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

describe("reprise refuses a command line that would not do what it says", () => {
  it("exits 2, in one line, naming what is wrong", async () => {
    const cases: Array<[string, Array<string>, RegExp]> = [
      ["a repeated --status", ["list", "--status", "FAILED", "--status", "QUEUED"], /--status is given more than once: give it once \(several statuses go comma-separated/],
      ["a repeated --input", ["start", "quick", "--input", "1", "--input", "2"], /--input is given more than once/],
      ["a repeated --from on fork", ["fork", "x", "--from", "1", "--from", "2"], /--from is given more than once/],
      ["a repeated --url on pause", ["pause", "x", "--url", server.url, "--url", server.url], /--url is given more than once/],
      ["a URL with a password", ["list", "--url", "http://user:s3cret@127.0.0.1:9"], /--url must not hold a user name or password/],
      ["a URL with a query", ["list", "--url", "http://127.0.0.1:9?x=1"], /must not have a query or a fragment/],
      ["a URL with a fragment", ["list", "--url", "http://127.0.0.1:9/#top"], /must not have a query or a fragment/],
      ["a succeed payload that is not JSON", ["callback", "cb-1", "succeed", "{bad"], /the payload \(--raw sends text as it is\) is not valid JSON/],
      ["--raw with fail", ["callback", "cb-1", "fail", "why", "--raw"], /--raw goes with succeed/]
    ]
    for (const [what, args, message] of cases) {
      const result = await reprise(args, env)
      assert.strictEqual(result.code, 2, `${what}: ${result.stderr}`)
      assert.match(result.stderr, message, what)
      assert.notInclude(result.stderr, "s3cret", `${what}: no password echoed`)
    }
    // A repeated switch loses nothing; a --raw payload is sent as it is (the callback id is unknown here: 404).
    assert.strictEqual((await reprise(["list", "--json", "--json"], env)).code, 0)
    assert.strictEqual((await reprise(["callback", "cb-1", "succeed", "plain text", "--raw"], env)).code, 5)
  })

  it("list's More: hint is the command for the next page, with the filters and --limit kept", async () => {
    for (let i = 0; i < 3; i++) assert.strictEqual((await reprise(["start", "quick", "--input", String(i), "--wait"], env)).code, 0)
    const paged = await reprise(["list", "--function", "quick", "--status", "SUCCEEDED", "--limit", "2"], env)
    const hint = /^More: (.+)$/m.exec(paged.stdout)?.[1]
    assert.match(hint ?? "", /^reprise list --function quick --status SUCCEEDED --limit 2 --cursor \S+$/, paged.stdout)
    const next = await reprise([...hint!.split(" ").slice(1)], env)
    assert.strictEqual(next.code, 0, next.stderr)
    assert.strictEqual(next.stdout.split("\n").filter((line) => /SUCCEEDED/.test(line)).length, 1)
  })
})
