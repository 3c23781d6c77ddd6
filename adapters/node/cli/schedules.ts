/**
 * `reprise schedules` (list them) and `reprise schedule pause|resume|trigger <name>`, over the schedule routes
 * (src/http/schedule-routes.ts).
 */
import type { ScheduleJson } from "reprise/http"
import { CliError, type Client, EXIT } from "./client.ts"
import { table } from "./format.ts"

export interface ScheduleCommandIo {
  readonly out: (line: string) => void
}

const schedulePath = (name: string) => `/v1/schedules/${encodeURIComponent(name)}`

const lastSkip = (schedule: ScheduleJson): string => {
  const run = schedule.recentSkips.at(-1)
  return run === undefined ? "" : `${run.count} ${run.reason}`
}

export const schedulesText = (schedules: ReadonlyArray<ScheduleJson>): string => {
  if (schedules.length === 0) return "No schedules."
  const rows = schedules.map((s) => [
    s.name,
    s.functionName,
    `${s.cron}${s.timezone === "UTC" ? "" : ` (${s.timezone})`}`,
    s.overlap,
    // A buffer-one start waiting for the running one to end comes before the next tick (only --json showed it).
    `${s.paused ? "paused" : s.nextTickAt ?? "-"}${s.buffered === undefined ? "" : ` (buffered: ${s.buffered.tickAt})`}`,
    s.lastExecutionId ?? "-",
    `${s.started}`,
    `${s.skipped}${s.skipped === 0 ? "" : ` (last: ${lastSkip(s)})`}`
  ])
  return table(["SCHEDULE", "FUNCTION", "CRON", "OVERLAP", "NEXT", "LAST EXECUTION", "STARTED", "SKIPPED"], rows)
}

export const listSchedules = async (client: Client, io: ScheduleCommandIo, json: boolean): Promise<number> => {
  const { schedules } = await client.request<{ schedules: Array<ScheduleJson> }>("GET", "/v1/schedules")
  io.out(json ? JSON.stringify({ schedules }, null, 2) : schedulesText(schedules))
  return EXIT.ok
}

/**
 * What a trigger did. A skipped one started nothing: "skipped <id>" named an execution that does not exist (the id the
 * trigger would have had), which an operator then looked up.
 */
export const triggerText = (name: string, result: { readonly executionId: string; readonly outcome: string }): string =>
  result.outcome === "skipped"
    ? `skipped: ${name}'s previous execution has not ended (its overlap policy), so nothing started (see reprise schedules)`
    : result.outcome === "buffered"
    ? `buffered ${result.executionId}: it starts when ${name}'s running execution ends`
    : `${result.outcome} ${result.executionId}`

export const SCHEDULE_ACTIONS = ["pause", "resume", "trigger"] as const

export const scheduleAction = async (client: Client, io: ScheduleCommandIo, json: boolean, action: string, name: string): Promise<number> => {
  if (!(SCHEDULE_ACTIONS as ReadonlyArray<string>).includes(action)) {
    throw new CliError(`the schedule action is pause, resume or trigger, not ${JSON.stringify(action)} (reprise --help)`, EXIT.usage)
  }
  if (action === "trigger") {
    const result = await client.request<{ executionId: string; outcome: string }>("POST", `${schedulePath(name)}/trigger`, {})
    io.out(json ? JSON.stringify(result, null, 2) : triggerText(name, result))
    return EXIT.ok
  }
  const schedule = await client.request<ScheduleJson>("POST", `${schedulePath(name)}/${action}`, {})
  io.out(json ? JSON.stringify(schedule, null, 2) : `${schedule.name} ${schedule.paused ? "paused" : `resumed; next tick ${schedule.nextTickAt ?? "none"}`}`)
  return EXIT.ok
}
