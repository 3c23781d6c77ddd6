/**
 * The WakeUpSource port: what tells the host that alarms are due. The store's alarms are the truth; a wake-up only
 * asks the dispatcher to deliver them (Node: one timer at the earliest alarm; Deno: KV queue messages and a sweep).
 */
import { Context, type Effect, type Scope } from "effect"
import type { AlarmDispatcherShape } from "./alarm-dispatcher.ts"

export interface WakeUpSourceShape {
  /** Starts asking `dispatcher` to deliver due alarms; the wake-ups stop when the scope closes. */
  start(dispatcher: AlarmDispatcherShape): Effect.Effect<void, never, Scope.Scope>
}

export class WakeUpSource extends Context.Service<WakeUpSource, WakeUpSourceShape>()("reprise/host/WakeUpSource") {}
