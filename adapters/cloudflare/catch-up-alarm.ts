/**
 * What a write owes other objects (its index row, its parent's notification, a flow slot's release) is sent after
 * the write. A crash in between (a deploy, a process killed) left it unsent until the object next woke, and an
 * ended execution's next alarm is its retention (14 days by default): its row stayed RUNNING and a parent that
 * invoked it waited that long (the Workers probe: workerd killed while 40 invoked children ended left rows RUNNING
 * for ended executions, still so after 90 s; only a describe or a reindex woke them).
 *
 * So the transaction of a write that leaves something owed also brings the object's alarm to `delayMs` from now
 * (or keeps it where it is when it is due within the engine's watchdog, as after a start or a child's end), and until
 * nothing is owed no alarm the engine sets goes later than that (do-kv.ts's `alarmCeiling`); then the engine's own
 * alarm is set again. Should the process die first, that alarm wakes the object, whose `reconcile`
 * sends what is owed.
 */
import { WATCHDOG_MS } from "reprise/engine"
import type { DurableObjectStorage } from "./cf-types.ts"

export interface CatchUpAlarmOptions {
  readonly storage: DurableObjectStorage
  /** The alarm the engine believes in (the KV's last one). */
  readonly believed: () => number | undefined
  readonly delayMs: number
}

export const makeCatchUpAlarm = (options: CatchUpAlarmOptions) => {
  const { storage } = options
  let ceiling: number | undefined
  return {
    ceiling: () => ceiling,
    /** Inside the transaction of a write that leaves something owed, so that the alarm commits with it. */
    arm: () => {
      if (ceiling !== undefined) return // the KV keeps every later alarm at or before it
      const now = Date.now()
      const believed = options.believed()
      // An alarm already due within the engine's watchdog (a start's, a child's end's) wakes the object soon enough:
      // it becomes the ceiling as it is, with no alarm written (W2 on Durable Objects wrote three more per execution).
      if (believed !== undefined && believed <= now + WATCHDOG_MS) {
        ceiling = believed
        return
      }
      ceiling = now + options.delayMs
      storage.setAlarm(ceiling).catch(() => undefined)
    },
    /** Nothing is owed any more: the engine's alarm again, where the ceiling held it back. */
    settle: async () => {
      const held = ceiling
      if (held === undefined) return
      ceiling = undefined
      const believed = options.believed()
      if (believed === held) return // the engine's own alarm is the one set
      if ((await storage.getAlarm()) !== held) return // the engine's own came sooner (or another was set)
      await (believed === undefined ? storage.deleteAlarm() : storage.setAlarm(believed))
    },
    /** The alarm fired (it is gone): its handler reconciles, and sets what comes next. */
    fired: () => {
      ceiling = undefined
    }
  }
}
