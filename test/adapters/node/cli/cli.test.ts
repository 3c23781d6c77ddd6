/**
 * The `reprise` command against a real server (reprise/node's serve() on a free port and a temporary SQLite file),
 * each command run as its own process, as a user would.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { serve, type Server } from "../../../../adapters/node/serve.ts"
import { fakeOrderServices, makeOrderFulfilment } from "../../../../examples/order-fulfilment.ts"
import { durable, retryPresets, saga } from "../../../../src/index.ts"
import { finish, freePort, reprise, start, until, waitForStderr } from "./cli-fixture.ts"

const KEY = "cli-test-key"
const order = { orderId: "o-7", email: "ada@example.com", amountCents: 4200, lines: [{ sku: "kettle", quantity: 1 }] }

const greet = durable("greet", async (input: { name: string }, ctx) => {
  const greeting = await ctx.step("compose", async () => `hello ${input.name}`)
  await ctx.wait("pause", { seconds: 1 })
  return { greeting }
})
const boom = durable("boom", async (_input: unknown, ctx) =>
  ctx.step("explode", async () => {
    throw new Error("kaboom")
  }, { retryStrategy: retryPresets.noRetry }))

/** A saga that waits after its first step: a stop there is a request while the compensation runs (2 s). */
const booking = durable("booking", async (_input: unknown, ctx) =>
  saga(ctx, "trip", async (sagaCtx, trip) => {
    await trip.step("hotel", async () => "h-1", { compensate: () => new Promise((resolve) => setTimeout(resolve, 2000)) })
    await sagaCtx.wait("hold", { hours: 1 })
  }))

/** A parent waiting on the child it invoked, which waits a day. */
const callee = durable("callee", async (_input: unknown, ctx) => ctx.wait("a-day", { days: 1 }))
const caller = durable("caller", async (_input: unknown, ctx) => ctx.invoke("call", "callee", {}))

let dir: string
/** Two runs that continue as new, then a third that returns. */
const countdown = durable("countdown", async (input: { left: number }, ctx) => {
  const left = await ctx.step("tick", async () => input.left)
  if (left > 0) return ctx.continueAsNew({ left: left - 1 })
  return "lift-off"
})
let server: Server
let env: Record<string, string>
const services = fakeOrderServices()

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "reprise-cli-"))
  server = await serve({ functions: [makeOrderFulfilment(services), greet, boom, countdown, booking, callee, caller], dbPath: join(dir, "reprise.db"), port: 0, apiKey: KEY, handleSignals: false })
  env = { REPRISE_URL: server.url, REPRISE_API_KEY: KEY }
})
afterAll(async () => {
  await server?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

const json = (text: string) => JSON.parse(text) as Record<string, any>

/** Starts an order and waits until it waits on the warehouse; returns its execution and callback ids. */
const pendingOrder = async (orderId: string) => {
  const started = await reprise(["start", "order-fulfilment", "--input", JSON.stringify({ ...order, orderId }), "--json"], env)
  assert.strictEqual(started.code, 0, started.stderr)
  const executionId = json(started.stdout).executionId as string
  const callbackId = await until(async () => {
    const got = await reprise(["get", executionId, "--json"], env)
    return json(got.stdout).operations.find((op: any) => op.type === "CALLBACK" && op.status === "STARTED")?.callbackId as string | undefined
  }, "the warehouse callback")
  return { executionId, callbackId }
}

describe("reprise (the CLI) against a real server", () => {
  it("start --wait follows the steps live and prints the result; exit 0", async () => {
    const result = await reprise(["start", "greet", "--input", '{"name":"Ada"}', "--wait"], env)
    assert.strictEqual(result.code, 0, result.stderr)
    assert.match(result.stderr, /compose · 1\s+attempt 1 succeeded/)
    assert.match(result.stderr, /pause · 2\s+wait over/)
    assert.match(result.stdout, /status\s+SUCCEEDED/)
    assert.match(result.stdout, /result\s+\{"greeting":"hello Ada"\}/)
    assert.notInclude(result.stdout, "operations", "the steps were shown live, on stderr")

    const asJson = await reprise(["start", "greet", "--input", '{"name":"Bo"}', "--wait", "--json"], env)
    assert.strictEqual(asJson.code, 0)
    assert.deepStrictEqual(json(asJson.stdout).result, { greeting: "hello Bo" }, "stdout is only the JSON")
  })

  it("functions, --input @file, and get --follow until the end", async () => {
    const functions = await reprise(["functions"], env)
    assert.strictEqual(functions.code, 0, functions.stderr)
    assert.match(functions.stdout, /^FUNCTION\s+DESCRIPTION\n/)
    for (const name of ["order-fulfilment", "greet", "boom"]) assert.match(functions.stdout, new RegExp(`^${name}\\b`, "m"))

    const file = join(dir, "input.json")
    writeFileSync(file, JSON.stringify({ name: "File" }))
    const started = await reprise(["start", "greet", "--input", `@${file}`, "--json"], env)
    assert.strictEqual(started.code, 0, started.stderr)
    const executionId = json(started.stdout).executionId as string

    const followed = await reprise(["get", executionId, "--follow", "--timeout", "20"], env)
    assert.strictEqual(followed.code, 0, followed.stderr)
    assert.match(followed.stderr, /pause · 2\s+wait over/)
    assert.match(followed.stdout, /status\s+SUCCEEDED/)
    assert.include(followed.stdout, '{"greeting":"hello File"}')
  }, 120_000)

  it("start --wait exits 1 when the execution fails", async () => {
    const result = await reprise(["start", "boom", "--wait"], env)
    assert.strictEqual(result.code, 1)
    assert.match(result.stdout, /status\s+FAILED/)
    assert.include(result.stdout, "kaboom")
    assert.match(result.stdout, /caused by Error: kaboom\n\s+at .*cli\.test\.ts:\d+:\d+/, "the cause and where it was thrown")
  })

  it("start --wait follows a continue-as-new chain to its last run, and exits 0 when that run succeeds", async () => {
    const result = await reprise(["start", "countdown", "--input", '{"left":2}', "--name", "launch", "--wait", "--timeout", "20"], env)
    assert.strictEqual(result.code, 0, result.stderr)
    assert.include(result.stderr, "launch continued as launch~2; following it")
    assert.include(result.stderr, "launch~2 continued as launch~3; following it")
    assert.match(result.stdout, /status\s+SUCCEEDED/)
    assert.include(result.stdout, "lift-off")
  })

  it("init refuses a folder that is a file, under one, or not empty, in one line", async () => {
    const file = join(dir, "a-file")
    writeFileSync(file, "hi")
    const full = join(dir, "full")
    mkdirSync(full)
    writeFileSync(join(full, "x"), "")
    for (const [target, message] of [
      [file, /^reprise init: .*a-file is a file; give a folder that does not exist yet, or an empty one: reprise init <folder>$/],
      [join(file, "sub"), /^reprise init: cannot write .*a-file\/sub\/\S+ \(ENOTDIR\)$/],
      [full, /^reprise init: .*full is not empty; give a folder that does not exist yet, or an empty one: reprise init <folder>$/]
    ] as const) {
      const result = await reprise(["init", target, "--target", "node"], env)
      assert.strictEqual(result.code, 1, result.stderr)
      assert.match(result.stderr.trim(), message)
      assert.notInclude(result.stderr, "    at ", "no stack trace")
    }
  })

  it("get --follow exits 6 (still running), not 1, when --timeout passes on a paused execution", async () => {
    const started = await reprise(["start", "order-fulfilment", "--input", JSON.stringify(order), "--name", "held-order"], env)
    assert.strictEqual(started.code, 0, started.stderr)
    // Options may come before a command with options of its own, as before any other.
    const paused = await reprise(["--json", "pause", "held-order"], env)
    assert.strictEqual(paused.code, 0, paused.stderr)
    assert.strictEqual(json(paused.stdout).status, "PAUSED")
    const followed = await reprise(["get", "held-order", "--follow", "--timeout", "0.5"], env)
    assert.strictEqual(followed.code, 6, followed.stderr)
    assert.match(followed.stderr, /held-order is still running after 0\.5 s/)
    assert.strictEqual((await reprise(["stop", "held-order"], env)).code, 0)
  })

  it("delete erases an ended execution (then get is not found, list leaves it out); a running one is refused: stop it first", async () => {
    const done = await reprise(["start", "greet", "--input", `{"name":"erased"}`, "--name", "to-erase", "--wait"], env)
    assert.strictEqual(done.code, 0, done.stderr)
    const deleted = await reprise(["delete", "to-erase"], env)
    assert.deepStrictEqual([deleted.code, deleted.stdout.trim()], [0, "deleted to-erase"], deleted.stderr)
    const gone = await reprise(["get", "to-erase"], env)
    assert.strictEqual(gone.code, 5, gone.stderr)
    assert.notInclude((await reprise(["list", "--function", "greet", "--json"], env)).stdout, "to-erase")
    const again = await reprise(["delete", "to-erase"], env)
    assert.strictEqual(again.code, 5, "a second delete is not found")
    assert.match(again.stderr, /^reprise: not found: No execution "to-erase"$/m)

    assert.strictEqual((await reprise(["start", "callee", "--name", "still-waiting"], env)).code, 0)
    const refused = await reprise(["delete", "still-waiting"], env)
    assert.strictEqual(refused.code, 1, refused.stderr)
    assert.match(refused.stderr, /^reprise: The execution has not ended: Execution "still-waiting" is RUNNING: only an ended execution can be deleted; stop it first$/m)
    assert.strictEqual((await reprise(["get", "still-waiting"], env)).code, 0, "still there")
    const twoIds = await reprise(["delete", "still-waiting", "to-erase"], env)
    assert.strictEqual(twoIds.code, 2, "one id at a time: a usage error")
    assert.match(twoIds.stderr, /give one execution id \(usage: reprise delete <execution-id>/)
    assert.strictEqual((await reprise(["stop", "still-waiting"], env)).code, 0)
  })

  it("get prints the failing operation's stack, naming this file and the throwing line", async () => {
    const started = await reprise(["start", "boom", "--wait", "--json"], env)
    const executionId = json(started.stdout).executionId as string
    const got = await reprise(["get", executionId], env)
    assert.strictEqual(got.code, 0, got.stderr)
    const here = fileURLToPath(import.meta.url)
    const line = readFileSync(here, "utf8").split("\n").findIndex((l) => l.includes('throw new Error("kaboom")')) + 1
    assert.match(got.stdout, /failed\s+explode \(1\): Error: kaboom\n\s+at .*cli\.test\.ts:\d+:\d+/)
    assert.include(got.stdout, `${here}:${line}:`)
  })

  it("start --wait on the order, completed by `reprise callback` from another process; then get, list and history", async () => {
    const waiting = start(["start", "order-fulfilment", "--input", JSON.stringify(order), "--wait", "--timeout", "20"], env)
    const ended = finish(waiting, 30_000)
    const [, callbackId] = await waitForStderr(waiting, /complete it with: reprise callback (\S+) succeed/)
    const completed = await reprise(["callback", callbackId!, "succeed", '{"parcelId":"p-1","weightKg":2}'], env)
    assert.strictEqual(completed.code, 0, completed.stderr)
    assert.strictEqual(completed.stdout.trim(), "callback completed")

    const result = await ended
    assert.strictEqual(result.code, 0, result.stderr)
    assert.match(result.stdout, /status\s+SUCCEEDED/)
    assert.include(result.stdout, "TRK-o-7-p-1")
    const executionId = /execution\s+(\S+)/.exec(result.stdout)![1]!

    const list = await reprise(["list", "--function", "order-fulfilment", "--status", "succeeded"], env)
    assert.strictEqual(list.code, 0)
    assert.match(list.stdout, /^EXECUTION\s+FUNCTION\s+STATUS/)
    assert.include(list.stdout, executionId)
    const either = json((await reprise(["list", "--json", "--status", "failed,succeeded"], env)).stdout)
    assert.isTrue(either.executions.some((e: any) => e.executionId === executionId))
    const neither = json((await reprise(["list", "--json", "--status", "FAILED,RUNNING"], env)).stdout)
    assert.isFalse(neither.executions.some((e: any) => e.executionId === executionId))
    const listed = json((await reprise(["list", "--json", "--limit", "100"], env)).stdout)
    assert.isTrue(listed.executions.some((e: any) => e.executionId === executionId && e.status === "SUCCEEDED"))

    const history = await reprise(["history", executionId], env)
    assert.strictEqual(history.code, 0)
    const lines = history.stdout.split("\n")
    const at = (text: string) => lines.findIndex((line) => line.includes(text))
    assert.isAbove(at("started order-fulfilment"), 0)
    assert.isAbove(at("warehouse-packing · 3"), at("charge-payment · 2"))
    assert.isAbove(at("callback completed"), at("waiting for callback"))
    assert.isAbove(at("warehouse-packing callback · 3-1"), 0, "waitForCallback's callback named after it")
    assert.isAbove(at("warehouse-packing submitter · 3-2"), 0, "and its submitter step")
    const got = await reprise(["get", executionId], env)
    assert.match(got.stdout, /^\s+warehouse-packing callback\s+3-1\s/m)
    assert.isAbove(lines.findIndex((line) => / execution +succeeded/.test(line)), at("ship · 4"))

    const again = await reprise(["callback", callbackId!, "succeed", "\"late\""], env)
    assert.strictEqual(again.code, 1)
    assert.match(again.stderr, /^reprise: The callback is already completed: .+\n$/)
  }, 120_000)

  it("callback heartbeat and fail (payload from stdin), and stop", async () => {
    const first = await pendingOrder("o-8")
    assert.strictEqual((await reprise(["callback", first.callbackId, "heartbeat"], env)).code, 0)
    const failed = await reprise(["callback", first.callbackId, "fail", "-", "--error-type", "OutOfStock", "--error-data", "{\"sku\":\"kettle\"}"], env, "no kettles left\n")
    assert.strictEqual(failed.code, 0, failed.stderr)
    assert.strictEqual(failed.stdout.trim(), "callback completed with a failure")
    const view = await until(async () => {
      const got = json((await reprise(["get", first.executionId, "--json"], env)).stdout)
      return got.status === "RUNNING" ? undefined : got
    }, "the order to fail")
    assert.strictEqual(view.status, "FAILED")
    const history = (await reprise(["history", first.executionId, "--json"], env)).stdout
    assert.deepStrictEqual(json(history).events.find((e: any) => e._tag === "CallbackFailed").error, { errorType: "OutOfStock", errorMessage: "no kettles left", errorData: "{\"sku\":\"kettle\"}" })

    const second = await pendingOrder("o-9")
    const stopped = await reprise(["stop", second.executionId, "--reason", "customer cancelled", "--error-type", "Cancelled", "--error-data", "ticket 42"], env)
    assert.strictEqual(stopped.code, 0, stopped.stderr)
    assert.strictEqual(stopped.stdout.trim(), `stopped ${second.executionId} (STOPPED)`)
    const got = await reprise(["get", second.executionId], env)
    assert.match(got.stdout, /status\s+STOPPED/)
    assert.deepStrictEqual(json((await reprise(["get", second.executionId, "--json"], env)).stdout).error, { errorType: "Cancelled", errorMessage: "customer cancelled", errorData: "ticket 42" })
    const misplaced = await reprise(["callback", first.callbackId, "heartbeat", "--error-data", "x"], env)
    assert.strictEqual(misplaced.code, 2)
    assert.match(misplaced.stderr, /--error-type and --error-data go with fail/)
    const twice = await reprise(["stop", second.executionId], env)
    assert.strictEqual(twice.code, 1)
    assert.match(twice.stderr, /^reprise: The execution is not running: .+\n$/)
  }, 120_000)

  it("stop inside a saga says it was requested, not that it stopped an execution still RUNNING; a second one ends it", async () => {
    const started = await reprise(["start", "booking", "--json"], env)
    assert.strictEqual(started.code, 0, started.stderr)
    const id = json(started.stdout).executionId as string
    await until(async () => {
      const got = json((await reprise(["get", id, "--json"], env)).stdout)
      return got.operations.some((op: any) => op.type === "WAIT" && op.status === "STARTED") ? true : undefined
    }, "the saga's wait")
    const requested = await reprise(["stop", id], env)
    assert.strictEqual(requested.code, 0, requested.stderr)
    assert.strictEqual(requested.stdout.trim(), `stop requested: ${id} runs its saga's compensations, then ends STOPPED (RUNNING; stop it again to end it at once)`)
    const again = await reprise(["stop", id], env)
    assert.strictEqual(again.stdout.trim(), `stopped ${id} (STOPPED)`)
  }, 60_000)

  it("stop --keep-children leaves the executions it invoked running; without it they are stopped too", async () => {
    const childOf = async (name: string) => {
      const started = await reprise(["start", "caller", "--name", name], env)
      assert.strictEqual(started.code, 0, started.stderr)
      return until(async () => {
        const got = json((await reprise(["get", name, "--json"], env)).stdout)
        return got.operations.find((op: any) => op.type === "CHAINED_INVOKE")?.childExecutionId as string | undefined
      }, "the invoked child")
    }
    const kept = await childOf("caller-keeps")
    const stopped = await reprise(["stop", "caller-keeps", "--keep-children"], env)
    assert.strictEqual(stopped.code, 0, stopped.stderr)
    assert.strictEqual(json((await reprise(["get", kept, "--json"], env)).stdout).status, "RUNNING")
    const cascaded = await childOf("caller-cascades")
    assert.strictEqual((await reprise(["stop", "caller-cascades"], env)).code, 0)
    assert.strictEqual(await until(async () => {
      const status = json((await reprise(["get", cascaded, "--json"], env)).stdout).status as string
      return status === "RUNNING" ? undefined : status
    }, "the child's stop"), "STOPPED")
  }, 60_000)

  // Each case is a new process, which loads the CLI's sources: 1 s on a quiet machine, 4 s on a loaded 2-core one,
  // where 15 of them overran a 60 s budget. The budgets here bound a hang (each call is bounded by `finish`), not speed.
  it("says what went wrong in one line, with an exit code per kind", async () => {
    const closed = await freePort()
    const cases: Array<[string, Array<string>, Record<string, string>, number, RegExp]> = [
      ["server not running", ["list", "--url", `http://127.0.0.1:${closed}`], { REPRISE_API_KEY: KEY }, 3, /cannot reach Reprise at http:\/\/127\.0\.0\.1:\d+: connection refused/],
      ["wrong key", ["list", "--api-key", "wrong"], { REPRISE_URL: server.url }, 4, /did not accept the API key/],
      ["no key", ["get", "x"], { REPRISE_URL: server.url }, 4, /needs an API key/],
      ["no such execution", ["get", "no-such-execution"], env, 5, /not found: .*no-such-execution/],
      ["no such function", ["start", "nope"], env, 5, /not found: .*"nope".*; registered: order-fulfilment, greet, boom, countdown, booking, callee, caller$/],
      ["bad --input", ["start", "greet", "--input", "{oops"], env, 2, /--input is not valid JSON/],
      ["unknown command", ["frobnicate"], env, 2, /unknown command "frobnicate"/],
      ["unknown option", ["list", "--colour"], env, 2, /^reprise: unknown option --colour \(reprise --help\)$/],
      ["an option of another command", ["list", "--wait"], env, 2, /reprise list does not take --wait \(it takes --function, --status, --version, --started-after, --started-before, --ended-after, --ended-before, --input-contains, --limit, --cursor and --url, --api-key, --json\)/],
      ["option without its value", ["start", "greet", "--input"], env, 2, /--input needs a value/],
      ["bad --status", ["list", "--status", "FOO"], env, 2, /--status is one or more of QUEUED, RUNNING, PAUSED, SUCCEEDED, FAILED, TIMED_OUT, STOPPED, CONTINUED_AS_NEW, comma-separated; not "FOO"/],
      ["a bad status among several", ["list", "--status", "running,DONE"], env, 2, /comma-separated; not "DONE"/],
      ["--input from a missing file", ["start", "greet", "--input", "@/no/such/file.json"], env, 2, /--input @\/no\/such\/file\.json: no such file/],
      ["fork --input from a missing file", ["fork", "some-id", "--from", "1", "--input", "@/no/such/file.json"], env, 2, /--input @\/no\/such\/file\.json: no such file/],
      ["--input out of range", ["start", "greet", "--input", '{"n":1e400}'], env, 2, /--input holds a number out of range \(it would be sent as null\)/],
      ["--input rounded", ["start", "greet", "--input", '{"id":12345678901234567890}'], env, 2, /--input holds an integer beyond 2\^53, which a JSON number cannot hold exactly \(it would be sent rounded\)/],
      ["fork after options, no such execution", ["--json", "fork", "no-such-execution", "--from", "1"], env, 5, /not found: .*no-such-execution/],
      ["rewind after --url, no server", ["--url", "http://127.0.0.1:9", "rewind", "x", "--from", "1"], env, 3, /cannot reach Reprise at http:\/\/127\.0\.0\.1:9/],
      ["dev --port out of range", ["dev", "functions.ts", "--port", "99999"], env, 2, /--port must be a port number \(0 to 65535\)/],
      ["dev with a bad $PORT", ["dev", "functions.ts"], { ...env, PORT: "abc" }, 2, /^reprise: PORT must be a port number \(0 to 65535\), not "abc"/],
      ["not a URL", ["list", "--url", "ftp://x"], env, 2, /is not an http\(s\) URL/],
      ["bad --priority", ["start", "greet", "--priority", "abc"], env, 2, /--priority must be an integer from -1000 to 1000, not "abc"/],
      ["--priority out of range", ["start", "greet", "--priority", "-1001"], env, 2, /--priority must be an integer from -1000 to 1000, not "-1001"/],
      ["bad --limit", ["list", "--limit", "abc"], env, 2, /--limit must be an integer from 1 to 1000/],
      ["bad --started-after", ["list", "--started-after", "yesterday"], env, 2, /--started-after must be an ISO 8601 time/],
      ["bad callback action", ["callback", "abc", "approve"], env, 2, /succeed, fail or heartbeat/],
      ["still running", ["start", "order-fulfilment", "--input", JSON.stringify(order), "--wait", "--timeout", "0.5"], env, 6, /is still running after 0\.5 s/]
    ]
    for (const [what, args, caseEnv, code, message] of cases) {
      const result = await reprise(args, caseEnv)
      const errorLines = result.stderr.split("\n").filter((line) => line.startsWith("reprise: "))
      assert.strictEqual(result.code, code, `${what}: ${result.stderr}`)
      assert.strictEqual(errorLines.length, 1, `${what}: one error line`)
      assert.match(errorLines[0]!, message, what)
      assert.notInclude(result.stderr, "    at ", `${what}: no stack trace`)
    }
    assert.strictEqual((await reprise(["--help"], env)).code, 0)
    const version = JSON.parse(readFileSync(new URL("../../../../package.json", import.meta.url), "utf8")).version as string
    for (const asked of [["--version"], ["-v"], ["version"]]) {
      const answer = await reprise(asked, env)
      assert.deepStrictEqual([answer.code, answer.stdout.trim()], [0, `reprise ${version} (Node ${process.versions.node})`], asked.join(" "))
    }
    for (const command of ["pause", "fork", "replay-check", "delete"]) {
      const help = await reprise([command, "--help"], env)
      assert.strictEqual(help.code, 0, `${command} --help: ${help.stderr}`)
      assert.match(help.stdout, new RegExp(`^reprise ${command}`), command)
    }
    // A negative number after an option is its value (Node's parseArgs calls it ambiguous).
    const negative = await reprise(["start", "greet", "--input", `{"name":"ada"}`, "--priority", "-5", "--json"], env)
    assert.strictEqual(negative.code, 0, negative.stderr)
  }, 180_000)
})
