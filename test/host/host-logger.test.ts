import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Logger } from "effect"
import { hostLogger, resolveLogOptions } from "../../src/host/index.ts"

describe("the host's log options", () => {
  it("pretty on a terminal, JSON lines otherwise; the env var, then the option, override; nonsense is reported and ignored", () => {
    const none = () => undefined
    assert.deepStrictEqual(resolveLogOptions({ terminal: true }, none), { format: "pretty", level: "info", userLevel: "debug", ignored: [] })
    assert.deepStrictEqual(resolveLogOptions({ terminal: false }, none), { format: "json", level: "info", userLevel: "debug", ignored: [] })
    const env = (name: string) => ({ REPRISE_LOG_FORMAT: "JSON", REPRISE_LOG_LEVEL: "debug" } as Record<string, string>)[name]
    assert.deepStrictEqual(resolveLogOptions({ terminal: true }, env), { format: "json", level: "debug", userLevel: "debug", ignored: [] })
    assert.deepStrictEqual(resolveLogOptions({ terminal: true, format: "pretty", level: "error" }, env), { format: "pretty", level: "error", userLevel: "error", ignored: [] })
    const bad = resolveLogOptions({}, (name) => (name === "REPRISE_LOG_LEVEL" ? "loud" : undefined))
    assert.strictEqual(bad.level, "info")
    assert.match(bad.ignored[0]!, /REPRISE_LOG_LEVEL="loud" is not one of/)
  })

  it("the default ctx.logger's lowest level: a chosen level, else Lambda's AWS_LAMBDA_LOG_LEVEL (as AWS's logger), else debug", () => {
    const lambda = (value: string) => (name: string) => (name === "AWS_LAMBDA_LOG_LEVEL" ? value : undefined)
    assert.strictEqual(resolveLogOptions({}, lambda("WARN")).userLevel, "warn")
    assert.strictEqual(resolveLogOptions({}, lambda("FATAL")).userLevel, "error")
    assert.strictEqual(resolveLogOptions({}, lambda("TRACE")).userLevel, "debug")
    assert.strictEqual(resolveLogOptions({ level: "info" }, lambda("ERROR")).userLevel, "info", "the host's own level rules both")
    assert.strictEqual(resolveLogOptions({}, lambda("ERROR")).level, "info", "Lambda's level leaves the lifecycle lines alone")
  })

  it("a JSON line carries the annotations and the cause; a pretty line puts them first", () => {
    const lines: Array<string> = []
    const log = (format: "json" | "pretty") =>
      Effect.runSync(Effect.logError("the store failed", Cause.fail(new Error("disk full"))).pipe(
        Effect.annotateLogs({ executionId: "e-1", functionName: "f", operationId: "2" }),
        Effect.provide(Logger.layer([hostLogger(format, (line) => lines.push(line), false)]))
      ))
    log("json")
    const json = JSON.parse(lines[0]!)
    assert.deepInclude(json, { level: "error", executionId: "e-1", functionName: "f", operationId: "2", message: "the store failed" })
    assert.include(json.cause, "disk full")
    log("pretty")
    assert.match(lines[1]!, /^\S+Z ERROR f e-1 op 2  the store failed\n  .*disk full/)
  })

  it("a pretty line shows what an execution wrote with its control characters escaped: no escape runs, no line is forged", () => {
    // Retitles the terminal, clears it, then starts a line that reads like the log's own; and a C1 CSI.
    const evil = "evil \u001b]0;pwned\u0007\u001b[2J\n2026-01-01T00:00:00.000Z INFO  forged\u009b31m"
    const lines: Array<string> = []
    Effect.runSync(Effect.logError(`ended FAILED in 3 ms: Error: ${evil}`).pipe(
      Effect.annotateLogs({ executionId: "e-1", functionName: "f", errorMessage: evil, causes: [{ errorType: "TypeError", errorMessage: evil }] }),
      Effect.provide(Logger.layer([hostLogger("pretty", (line) => lines.push(line), true)]))
    ))
    Effect.runSync(Effect.logError("the store failed", Cause.fail(new Error(evil))).pipe(
      Effect.provide(Logger.layer([hostLogger("pretty", (line) => lines.push(line), false)]))
    ))
    const [ended, failed] = lines
    const escapedEvil = "evil \\u001b]0;pwned\\u0007\\u001b[2J\\n2026-01-01T00:00:00.000Z INFO  forged\\u009b31m"
    assert.include(ended!, `ended FAILED in 3 ms: Error: ${escapedEvil}\n  caused by TypeError: ${escapedEvil}`)
    for (const line of lines) {
      // The only escape sequences left are the log's own colours around its level.
      assert.notMatch(line.replace(/\x1b\[(?:31|0)m/g, ""), /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/, line)
      assert.isFalse(line.split("\n").some((part) => part.startsWith("2026-01-01T00:00:00.000Z INFO  forged")), line)
    }
    assert.include(failed!, "Error: evil \\u001b]0;pwned")
  })

  it("a plain line (a message, plain annotations, no cause) reads the same as through Logger.formatStructured", () => {
    const lines: Array<string> = []
    const reference = Logger.make((options) => {
      const entry = Logger.formatStructured.log(options)
      lines.push(JSON.stringify({ time: entry.timestamp, level: entry.level.toLowerCase(), ...entry.annotations, message: entry.message }))
    })
    for (const logger of [hostLogger("json", (line) => lines.push(line), false), reference]) {
      Effect.runSync(Effect.logInfo("started").pipe(
        Effect.annotateLogs({ executionId: "e-1", functionName: "f", attempt: 2, replay: false }),
        Effect.provide(Logger.layer([logger]))
      ))
    }
    const [plain, structured] = lines.map((line) => JSON.parse(line) as Record<string, unknown>)
    delete plain!["time"]
    delete structured!["time"]
    assert.deepStrictEqual(plain, structured)
    assert.deepInclude(plain, { level: "info", executionId: "e-1", attempt: 2, replay: false, message: "started" })
  })
})
