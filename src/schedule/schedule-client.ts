/**
 * The ScheduleClient service: what the HTTP app and the CLI see of schedules (list, pause, resume, trigger). The
 * scheduler (scheduler.ts) implements it where an engine runs; a runtime without one simply does not provide it,
 * and the schedule routes answer that schedules are not served there.
 */
import { Context, type Effect, Schema } from "effect"
import { shownName } from "../engine/engine-errors.ts"
import type { StartFailure } from "../engine/execution-client.ts"
import type { ReadFailure } from "../engine/execution-client.ts"
import type { StoreFailure } from "../store/store-errors.ts"
import type { OverlapPolicy } from "./schedule.ts"
import type { SkippedTicks } from "./schedule-store.ts"

export class ScheduleNotFound extends Schema.TaggedError<ScheduleNotFound>()("ScheduleNotFound", { name: Schema.String }) {
  override get message() {
    return `No schedule is registered as ${shownName(this.name)}`
  }
}

/** Several hosts: every save of the schedule's record lost to another host's, as many times as the scheduler tries. */
export class ScheduleContended extends Schema.TaggedError<ScheduleContended>()("ScheduleContended", { name: Schema.String, attempts: Schema.Number }) {
  override get message() {
    return `Schedule ${JSON.stringify(this.name)} was changed by other hosts on each of ${this.attempts} attempts; try again`
  }
}

export interface ScheduleView {
  readonly name: string
  readonly functionName: string
  readonly cron: string
  readonly timezone: string
  readonly overlap: OverlapPolicy
  /** How late a missed tick may still run (`catchUp`), in seconds, as `GET /v1/schedules` says it. */
  readonly catchUpSeconds: number
  readonly description?: string
  readonly paused: boolean
  readonly nextTickAt?: number
  readonly lastTickAt?: number
  readonly lastExecutionId?: string
  readonly buffered?: { readonly tickAt: number; readonly executionId: string }
  /** Executions started by ticks and triggers. */
  readonly started: number
  /** Ticks skipped (late beyond catch-up, overlapping, paused). */
  readonly skipped: number
  readonly recentSkips: ReadonlyArray<SkippedTicks>
}

export interface TriggerResult {
  readonly executionId: string
  /** started; buffered (buffer-one, behind the running one); skipped (skip, while the previous one runs). */
  readonly outcome: "started" | "buffered" | "skipped"
}

export type ScheduleFailure = ScheduleNotFound | ScheduleContended | StoreFailure

export interface ScheduleClientShape {
  list(): Effect.Effect<ReadonlyArray<ScheduleView>, StoreFailure>
  get(name: string): Effect.Effect<ScheduleView, ScheduleFailure>
  /** No tick starts anything until resumed; the ticks meanwhile are skipped (reason "paused"). */
  pause(name: string): Effect.Effect<ScheduleView, ScheduleFailure>
  resume(name: string): Effect.Effect<ScheduleView, ScheduleFailure>
  /** Starts one execution now, under the schedule's overlap policy (also while paused). */
  trigger(name: string): Effect.Effect<TriggerResult, ScheduleFailure | StartFailure | ReadFailure>
}

export class ScheduleClient extends Context.Service<ScheduleClient, ScheduleClientShape>()("reprise/schedule/ScheduleClient") {}
