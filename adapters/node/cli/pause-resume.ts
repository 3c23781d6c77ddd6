/**
 * `reprise pause <execution-id>` and `reprise resume <execution-id>`: POST /v1/executions/:id/pause and /resume.
 * A paused execution starts nothing new and fires no timer until it is resumed (see docs/design.md §4).
 */
import { parseArgs } from "node:util"
import type { ExecutionJson } from "reprise/http"
import { CliError, EXIT, makeClient, reportError, serverOption } from "./client.ts"
import { repeatedMessage, repeatedOption } from "./repeated-option.ts"
import { emptyArgument, readableParseError } from "./argument-errors.ts"

export interface PauseIo {
  readonly out: (line: string) => void
  readonly err: (line: string) => void
  readonly env: Readonly<Record<string, string | undefined>>
}

export const PAUSE_USAGE = "reprise pause|resume <execution-id> [--url URL] [--api-key KEY] [--json]"

const PAUSE_OPTIONS = { url: { type: "string" }, "api-key": { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } } as const

/** Runs `pause` or `resume` with the arguments after it; returns the exit code. */
export const pauseResumeCommand = async (action: "pause" | "resume", argv: ReadonlyArray<string>, io: PauseIo): Promise<number> => {
  try {
    let parsed
    try {
      parsed = parseArgs({ args: [...argv], options: PAUSE_OPTIONS, allowPositionals: true, strict: true })
    } catch (error) {
      throw new CliError(`${readableParseError(error)} (usage: ${PAUSE_USAGE})`, EXIT.usage)
    }
    const repeated = repeatedOption(argv, PAUSE_OPTIONS)
    if (repeated !== undefined) throw new CliError(`${repeatedMessage(repeated)} (usage: ${PAUSE_USAGE})`, EXIT.usage)
    const { positionals, values } = parsed
    if (values.help === true) {
      io.out(PAUSE_USAGE)
      return EXIT.ok
    }
    if (positionals.length !== 1) throw new CliError(`give one execution id (usage: ${PAUSE_USAGE})`, EXIT.usage)
    const empty = emptyArgument(positionals[0], "the execution id")
    if (empty !== undefined) throw new CliError(`${empty} (usage: ${PAUSE_USAGE})`, EXIT.usage)
    const apiKey = values["api-key"] ?? (io.env.REPRISE_API_KEY === "" ? undefined : io.env.REPRISE_API_KEY)
    const client = makeClient({ ...serverOption(values.url, io.env), apiKey })
    const id = positionals[0]!
    const execution = await client.request<ExecutionJson>("POST", `/v1/executions/${encodeURIComponent(id)}/${action}`, {})
    io.out(values.json === true ? JSON.stringify(execution, null, 2) : `${action === "pause" ? "paused" : "resumed"} ${execution.executionId} (${execution.status})`)
    return EXIT.ok
  } catch (error) {
    return reportError(error, io)
  }
}
