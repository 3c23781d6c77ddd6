/** `ctx.wait`: a durable timer. The actor's alarm completes it, whether the actor stayed in memory or not. */
import type { Begun, ContextCore } from "./context-core.ts"
import { checkWaitMillis, type Duration, durationToMillis } from "./duration.ts"
import { InvalidDurationError } from "./errors.ts"

export const runWait = async (core: ContextCore, begun: Begun, target: Duration | Date): Promise<void> => {
  const { session } = core
  let op = begun.recorded
  if (op === undefined) {
    const now = session.now()
    const what = `The wait ${JSON.stringify(begun.ref.name ?? begun.id)}`
    let ms: number
    if (target instanceof Date) {
      if (Number.isNaN(target.getTime())) throw new InvalidDurationError(`${what} was given an invalid Date`)
      ms = checkWaitMillis(target.getTime() - now, `${what} until ${target.toISOString()}`)
    } else if (target === undefined && begun.ref.name !== undefined) {
      // ctx.wait("5s") took "5s" as the wait's name.
      throw new InvalidDurationError(`${what} has a name but no duration: ctx.wait(name, { seconds: 30 }) or ctx.wait({ seconds: 30 })`)
    } else {
      ms = checkWaitMillis(durationToMillis(target, "wait duration"), what)
    }
    await session.append([{ _tag: "WaitStarted", ...begun.ref, until: now + ms }])
    op = session.state.operations.get(begun.id)
  }
  while (op !== undefined && op.status === "STARTED") op = await session.whenChanged(begun.id)
}
