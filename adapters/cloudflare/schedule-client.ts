/**
 * The ScheduleClient of the Worker: each call goes to the schedule's object (schedule-object.ts). Names are checked
 * here, so an unknown schedule is a ScheduleNotFound without reaching any object. `ensureSchedules` makes every
 * object exist with its alarm armed: the Worker does it on its first request and from its cron trigger (a backstop
 * that re-arms an object whose alarm was lost).
 */
import { Effect } from "effect"
import type { Schedule } from "reprise"
import { ScheduleNotFound, type ScheduleClientShape } from "reprise/host"
import type { RepriseEnv } from "./env.ts"
import type { ScheduleRpc } from "./schedule-object.ts"
import { call } from "./wire.ts"

const unbound = () => new Error("Schedules are configured but the Worker has no SCHEDULES binding (class ScheduleObject)")

const objectOf = (env: RepriseEnv, name: string) => {
  if (env.SCHEDULES === undefined) throw unbound()
  return env.SCHEDULES.getByName(name) as unknown as ScheduleRpc
}

export const makeScheduleClient = (env: RepriseEnv, schedules: ReadonlyArray<Schedule>): ScheduleClientShape => {
  // A missing binding is the deployment's mistake (a 500 that names it), not a store to retry later (503).
  if (env.SCHEDULES === undefined) {
    const fail = () => Effect.die(unbound())
    return { list: fail, get: fail, pause: fail, resume: fail, trigger: fail }
  }
  const names = new Set(schedules.map((s) => s.name))
  const on = <A>(name: string, operation: string, rpc: (object: ScheduleRpc) => Promise<import("./wire.ts").Wire<A>>) =>
    names.has(name) ? call(operation, () => rpc(objectOf(env, name))) : Effect.fail(new ScheduleNotFound({ name }))
  return {
    list: () => Effect.forEach(schedules, (s) => call("viewSchedule", () => objectOf(env, s.name).view(s.name))),
    get: (name) => on(name, "viewSchedule", (o) => o.view(name)),
    pause: (name) => on(name, "pauseSchedule", (o) => o.pause(name)),
    resume: (name) => on(name, "resumeSchedule", (o) => o.resume(name)),
    trigger: (name) => on(name, "triggerSchedule", (o) => o.trigger(name))
  }
}

/** Makes every schedule's object exist and arm its alarm (idempotent). */
export const ensureSchedules = (env: RepriseEnv, schedules: ReadonlyArray<Schedule>): Promise<void> =>
  // `async`: a missing binding (objectOf throws) is a rejection the Worker logs, not a throw out of every request.
  Promise.all(schedules.map(async (s) => objectOf(env, s.name).ensure(s.name))).then(() => undefined)
