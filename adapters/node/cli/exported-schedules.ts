/**
 * The schedules a module exports (what `schedule()` returns): directly, or in an exported array such as
 * `schedules`. `reprise dev` serves them beside the functions, as `serve({ functions, schedules })` would.
 */
import type { Schedule } from "reprise"
import { exportedOf } from "./exported-functions.ts"

/** A schedule is plain data (no class to test against): told by the fields `schedule()` always sets. */
export const isSchedule = (value: unknown): value is Schedule =>
  typeof value === "object" && value !== null &&
  typeof (value as Schedule).name === "string" &&
  typeof (value as Schedule).functionName === "string" &&
  typeof (value as Schedule).cron === "object" && (value as Schedule).cron !== null &&
  typeof (value as Schedule).timezone === "string" &&
  typeof (value as Schedule).overlap === "string" &&
  typeof (value as Schedule).catchUpMs === "number"

/** Every schedule among a module's exports, each once (the same one may be exported twice). */
export const exportedSchedules = (module: Record<string, unknown>): Array<Schedule> => exportedOf(module, isSchedule)
