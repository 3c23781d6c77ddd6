/**
 * `reprise fork <execution-id> --from <operation> [--input JSON|@FILE]` and `reprise rewind <execution-id> --from
 * <operation>`: POST /v1/executions/:id/fork and /rewind (docs/design.md §3). A fork is a new execution that keeps
 * the source's operations before `--from`; a rewind runs a failed, timed-out or stopped execution again from there.
 */
import { parseArgs } from "node:util"
import type { ExecutionJson } from "reprise/http"
import { CliError, EXIT, makeClient, reportError, serverOption } from "./client.ts"
import { inputOf } from "./input-arg.ts"
import { repeatedMessage, repeatedOption } from "./repeated-option.ts"
import { emptyArgument, readableParseError } from "./argument-errors.ts"

export interface ForkIo {
  readonly out: (line: string) => void
  readonly err: (line: string) => void
  readonly env: Readonly<Record<string, string | undefined>>
}

export const FORK_USAGE = "reprise fork <execution-id> --from <operation-id> [--input JSON|@FILE] | reprise rewind <execution-id> --from <operation-id> [--url URL] [--api-key KEY] [--json]"

const FORK_OPTIONS = {
  from: { type: "string" },
  input: { type: "string" },
  url: { type: "string" },
  "api-key": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" }
} as const

/** Runs `fork` or `rewind` with the arguments after it; returns the exit code. */
export const forkRewindCommand = async (action: "fork" | "rewind", argv: ReadonlyArray<string>, io: ForkIo): Promise<number> => {
  try {
    let parsed
    try {
      parsed = parseArgs({ args: [...argv], options: FORK_OPTIONS, allowPositionals: true, strict: true })
    } catch (error) {
      throw new CliError(`${readableParseError(error)} (usage: ${FORK_USAGE})`, EXIT.usage)
    }
    const repeated = repeatedOption(argv, FORK_OPTIONS)
    if (repeated !== undefined) throw new CliError(`${repeatedMessage(repeated)} (usage: ${FORK_USAGE})`, EXIT.usage)
    const { positionals, values } = parsed
    if (values.help === true) {
      io.out(FORK_USAGE)
      return EXIT.ok
    }
    if (positionals.length !== 1) throw new CliError(`give one execution id (usage: ${FORK_USAGE})`, EXIT.usage)
    const empty = emptyArgument(positionals[0], "the execution id")
    if (empty !== undefined) throw new CliError(`${empty} (usage: ${FORK_USAGE})`, EXIT.usage)
    if (values.from === undefined || values.from === "") throw new CliError(`give the operation to run again from with --from (usage: ${FORK_USAGE})`, EXIT.usage)
    if (action === "rewind" && values.input !== undefined) throw new CliError("a rewind keeps the execution's input: fork it to run with another", EXIT.usage)
    const body = { fromOperation: values.from, ...(values.input === undefined ? {} : { input: inputOf(values.input) }) }
    const apiKey = values["api-key"] ?? (io.env.REPRISE_API_KEY === "" ? undefined : io.env.REPRISE_API_KEY)
    const client = makeClient({ ...serverOption(values.url, io.env), apiKey })
    const id = positionals[0]!
    const execution = await client.request<ExecutionJson>("POST", `/v1/executions/${encodeURIComponent(id)}/${action}`, body)
    io.out(
      values.json === true
        ? JSON.stringify(execution, null, 2)
        : action === "fork"
        ? `forked ${id} before operation ${values.from} as ${execution.executionId} (${execution.status})`
        : `rewound ${execution.executionId} to operation ${values.from} (${execution.status})`
    )
    return EXIT.ok
  } catch (error) {
    return reportError(error, io)
  }
}
