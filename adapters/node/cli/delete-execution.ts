/**
 * `reprise delete <execution-id>`: DELETE /v1/executions/:id. An ended execution's history, alarm and listing row go
 * now, as its retention would remove them; a running, paused or queued one is refused (exit 1: stop it first), an
 * unknown one is not found (exit 5).
 */
import { EXIT, reportError } from "./client.ts"
import { oneExecutionArgs } from "./one-execution.ts"

export interface DeleteIo {
  readonly out: (line: string) => void
  readonly err: (line: string) => void
  readonly env: Readonly<Record<string, string | undefined>>
}

export const DELETE_USAGE = "reprise delete <execution-id> [--url URL] [--api-key KEY] [--json]"

/** Runs `delete` with the arguments after it; returns the exit code. */
export const deleteCommand = async (argv: ReadonlyArray<string>, io: DeleteIo): Promise<number> => {
  try {
    const args = oneExecutionArgs(argv, DELETE_USAGE, io)
    if (args === undefined) return EXIT.ok
    await args.client.request<undefined>("DELETE", `/v1/executions/${encodeURIComponent(args.id)}`)
    io.out(args.json ? JSON.stringify({ executionId: args.id, deleted: true }) : `deleted ${args.id}`)
    return EXIT.ok
  } catch (error) {
    return reportError(error, io)
  }
}
