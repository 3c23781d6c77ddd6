/**
 * The function the fiber-interruption tests share: it holds a layer's resource (a Db) across a durable wait;
 * `events` tells its acquires and releases, and "wait interrupted" when its wait is interrupted.
 */
import { Context, Effect, Layer } from "effect"
import type { Duration } from "../../src/index.ts"
import * as Durable from "../../src/effect/index.ts"

class Db extends Context.Service<Db, { readonly query: () => string }>()("test/Db") {}

export const scopedFunction = (wait: Duration) => {
  const events: Array<string> = []
  const pool = Layer.effect(Db, Effect.acquireRelease(
    Effect.sync(() => (events.push("acquire"), { query: () => "row" })),
    () => Effect.sync(() => void events.push("release"))
  ))
  const fn = Durable.make("scoped", () =>
    Effect.gen(function*() {
      const row = yield* Db.use((db) => Effect.succeed(db.query()))
      yield* Durable.step("read", Effect.succeed(row))
      yield* Durable.wait("long", wait).pipe(Effect.onInterrupt(() => Effect.sync(() => void events.push("wait interrupted"))))
      return row
    }).pipe(Effect.provide(pool)))
  return { fn, events }
}

/** Polls until `check` holds, for at most 5 s. */
export const until = async (check: () => boolean, what: string) => {
  for (let waited = 0; waited < 5_000; waited += 10) {
    if (check()) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`timed out waiting for ${what}`)
}
