/**
 * `reprise pause <execution-id>` and `reprise resume <execution-id>`: POST /v1/executions/:id/pause and /resume.
 * A paused execution starts nothing new and fires no timer until it is resumed (see docs/design.md §4).
 */
import type { ExecutionJson } from "reprise/http"
import { EXIT, reportError } from "./client.ts"
import { oneExecutionArgs } from "./one-execution.ts"

export interface PauseIo {
  readonly out: (line: string) => void
  readonly err: (line: string) => void
  readonly env: Readonly<Record<string, string | undefined>>
}

export const PAUSE_USAGE = "reprise pause|resume <execution-id> [--url URL] [--api-key KEY] [--json]"

/** Runs `pause` or `resume` with the arguments after it; returns the exit code. */
export const pauseResumeCommand = async (action: "pause" | "resume", argv: ReadonlyArray<string>, io: PauseIo): Promise<number> => {
  try {
    const args = oneExecutionArgs(argv, PAUSE_USAGE, io)
    if (args === undefined) return EXIT.ok
    const execution = await args.client.request<ExecutionJson>("POST", `/v1/executions/${encodeURIComponent(args.id)}/${action}`, {})
    io.out(args.json ? JSON.stringify(execution, null, 2) : `${action === "pause" ? "paused" : "resumed"} ${execution.executionId} (${execution.status})`)
    return EXIT.ok
  } catch (error) {
    return reportError(error, io)
  }
}
