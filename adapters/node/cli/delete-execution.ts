/**
 * `reprise delete <execution-id>`: DELETE /v1/executions/:id. An ended execution's history, alarm and listing row go
 * now, as its retention would remove them; a running, paused or queued one is refused (exit 1: stop it first), an
 * unknown one is not found (exit 5).
 */
import { parseArgs } from "node:util"
import { CliError, EXIT, makeClient, reportError, serverOption } from "./client.ts"
import { repeatedMessage, repeatedOption } from "./repeated-option.ts"
import { emptyArgument, readableParseError } from "./argument-errors.ts"

export interface DeleteIo {
  readonly out: (line: string) => void
  readonly err: (line: string) => void
  readonly env: Readonly<Record<string, string | undefined>>
}

export const DELETE_USAGE = "reprise delete <execution-id> [--url URL] [--api-key KEY] [--json]"

const DELETE_OPTIONS = { url: { type: "string" }, "api-key": { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } } as const

/** Runs `delete` with the arguments after it; returns the exit code. */
export const deleteCommand = async (argv: ReadonlyArray<string>, io: DeleteIo): Promise<number> => {
  try {
    let parsed
    try {
      parsed = parseArgs({ args: [...argv], options: DELETE_OPTIONS, allowPositionals: true, strict: true })
    } catch (error) {
      throw new CliError(`${readableParseError(error)} (usage: ${DELETE_USAGE})`, EXIT.usage)
    }
    const repeated = repeatedOption(argv, DELETE_OPTIONS)
    if (repeated !== undefined) throw new CliError(`${repeatedMessage(repeated)} (usage: ${DELETE_USAGE})`, EXIT.usage)
    const { positionals, values } = parsed
    if (values.help === true) {
      io.out(DELETE_USAGE)
      return EXIT.ok
    }
    // One id at a time: a deletion cannot be undone, so a stray second word is a mistake, not a second deletion.
    if (positionals.length !== 1) throw new CliError(`give one execution id (usage: ${DELETE_USAGE})`, EXIT.usage)
    const empty = emptyArgument(positionals[0], "the execution id")
    if (empty !== undefined) throw new CliError(`${empty} (usage: ${DELETE_USAGE})`, EXIT.usage)
    const apiKey = values["api-key"] ?? (io.env.REPRISE_API_KEY === "" ? undefined : io.env.REPRISE_API_KEY)
    const client = makeClient({ ...serverOption(values.url, io.env), apiKey })
    const id = positionals[0]!
    await client.request<undefined>("DELETE", `/v1/executions/${encodeURIComponent(id)}`)
    io.out(values.json === true ? JSON.stringify({ executionId: id, deleted: true }) : `deleted ${id}`)
    return EXIT.ok
  } catch (error) {
    return reportError(error, io)
  }
}
