/**
 * Command lines that would do something else than they say are usage errors (exit 2): an option given twice, a
 * --url with credentials, a query or a fragment (named by where the URL came from), a succeed payload that is not
 * JSON. And `list`'s "More:" hint keeps the server, the filters and --limit.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
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
      ["--raw with fail", ["callback", "cb-1", "fail", "why", "--raw"], /--raw goes with succeed/],
      // An empty id (an unset shell variable) made an empty path segment: "not found: No route GET /v1/executions/".
      ["an empty execution id", ["get", ""], /an empty argument where reprise expects the execution id/],
      ["an empty operation id", ["fire", "x", ""], /an empty argument where reprise expects the execution id and the wait's operation id/],
      ["an empty function name", ["start", ""], /an empty argument where reprise expects the function name/],
      ["an empty callback id", ["callback", "", "heartbeat"], /an empty argument where reprise expects the callback id/],
      // The commands with options of their own likewise (they answered exit 5, "not found: No route POST …//pause").
      ["an empty id to pause", ["pause", ""], /an empty argument where reprise expects the execution id/],
      ["an empty id to rewind", ["rewind", "", "--from", "1"], /an empty argument where reprise expects the execution id/],
      ["an empty --from on fork", ["fork", "x", "--from", ""], /give the operation to run again from with --from/],
      // It was sent and recorded as the execution's error, "Stopped: ".
      ["an empty stop reason", ["stop", "x", "--reason", ""], /--reason is blank: give the reason, or leave --reason out/],
      ["a blank stop reason", ["stop", "x", "--reason", "  "], /--reason is blank/],
      // Node's own words were printed: "Unknown option '--form'. To specify a positional argument starting with …".
      ["a misspelt option on rewind", ["rewind", "x", "--form", "1"], /^reprise: unknown option --form \(usage: /],
      ["a misspelt option on resume", ["resume", "x", "--jsn"], /^reprise: unknown option --jsn \(usage: /],
      // A value that starts with "-" reads as short options: say where it goes (Node's hint was cut from the message).
      ["a failure message that starts with -", ["callback", "cb-1", "fail", "-x is bad"], /^reprise: unknown option -x: a value that starts with "-" goes after "--" \(… -- "-x…"\)/],
      ["a negative result", ["callback", "cb-1", "succeed", "-1"], /unknown option -1: a value that starts with "-" goes after "--"/]
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

  it("a --url of the console's page (copied from the browser) says what --url is, and the address to try", async () => {
    const console = await reprise(["list", "--url", `${server.url}/console`])
    assert.strictEqual(console.code, 1, console.stderr)
    assert.include(console.stderr, `with something other than JSON: is it a Reprise server? (--url is the server's address, or the path prefix it is served under, not one of its pages: ${server.url}?)`)
  })

  it("a bad server URL is named by where it came from: --url, REPRISE_URL or replay-check's --from", async () => {
    const functionsFile = fileURLToPath(new URL("../fixtures/signup-v2.ts", import.meta.url))
    const cases: ReadonlyArray<readonly [ReadonlyArray<string>, Record<string, string>, RegExp]> = [
      [["get", "x", "--url", "ftp://x"], {}, /reprise: --url "ftp:\/\/x" is not an http\(s\) URL/],
      [["get", "x"], { REPRISE_URL: "ftp://x" }, /reprise: REPRISE_URL "ftp:\/\/x" is not an http\(s\) URL/],
      [["pause", "x"], { REPRISE_URL: "http://u:p@127.0.0.1:1" }, /reprise: REPRISE_URL must not hold a user name or password/],
      [["fork", "x", "--from", "1"], { REPRISE_URL: "http://127.0.0.1:1/?q" }, /reprise: REPRISE_URL "http:.*" must not have a query/],
      [["replay-check", functionsFile, "--from", "ftp://x"], {}, /reprise: --from "ftp:\/\/x" is not an http\(s\) URL/]
    ]
    for (const [args, given, message] of cases) {
      const result = await reprise(args, given)
      assert.strictEqual(result.code, 2, result.stderr)
      assert.match(result.stderr, message)
    }
  })

  it("list's More: hint is the command for the next page: the same server, filters and --limit", async () => {
    for (let i = 0; i < 3; i++) assert.strictEqual((await reprise(["start", "quick", "--input", String(i), "--wait"], env)).code, 0)
    const paged = await reprise(["list", "--function", "quick", "--status", "SUCCEEDED", "--limit", "2"], env)
    const hint = /^More: (.+)$/m.exec(paged.stdout)?.[1]
    assert.match(hint ?? "", /^reprise list --function quick --status SUCCEEDED --limit 2 --cursor \S+$/, paged.stdout)
    const next = await reprise([...hint!.split(" ").slice(1)], env)
    assert.strictEqual(next.code, 0, next.stderr)
    assert.strictEqual(next.stdout.split("\n").filter((line) => /SUCCEEDED/.test(line)).length, 1)

    // A --url given is kept, and a given --api-key named without being printed.
    const given = await reprise(["list", "--url", server.url, "--api-key", "s3cret", "--function", "quick", "--limit", "2"])
    assert.notInclude(given.stdout, "s3cret")
    const kept = /^More: (.+)$/m.exec(given.stdout)?.[1]
    assert.match(kept ?? "", new RegExp(`^reprise list --url ${server.url} --api-key KEY --function quick --limit 2 --cursor \\S+$`), given.stdout)
    // No REPRISE_URL here: the copy reaches the server through the --url it kept (this server takes any key).
    const copied = await reprise([...kept!.split(" ").slice(1)])
    assert.strictEqual(copied.code, 0, copied.stderr)
    assert.strictEqual(copied.stdout.split("\n").filter((line) => /SUCCEEDED/.test(line)).length, 1)
  })
})
