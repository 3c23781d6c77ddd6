/**
 * Step-level limits across executions on Cloudflare (`ctx.step(…, { concurrencyKey, limit })`): at most `limit` step
 * bodies of one key run at once, counted by one FlowObject per key (named `step limit/<key>`: no function name has a
 * space or a slash). Each body holds a token (`<execution>#<n>`); a body that cannot run yet waits in order and its
 * execution's object is told when it may (stepTurn). The state is in the object's storage.
 *
 * A body cut short by a restart of its execution's object never gives its token back, so a new instance of that
 * object first gives back every token of its execution (releaseExecution): the bodies that held them are gone.
 */
import type { SyncKvStorage } from "./cf-types.ts"

interface Held {
  readonly executionId: string
}
interface Waiting {
  readonly executionId: string
  readonly limit: number
  readonly order: number
}

const H = "sh:"
const W = "sw:"
const ORDER = "sorder"

export class StepGate {
  readonly #kv: SyncKvStorage
  readonly #held = new Map<string, Held>()
  readonly #waiting = new Map<string, Waiting>()
  #order: number

  constructor(kv: SyncKvStorage) {
    this.#kv = kv
    for (const [key, value] of kv.list<Held>({ prefix: H })) this.#held.set(key.slice(H.length), value)
    for (const [key, value] of kv.list<Waiting>({ prefix: W })) this.#waiting.set(key.slice(W.length), value)
    this.#order = kv.get<number>(ORDER) ?? 0
  }

  /** True when the body may run now; else it waits in line (its object is told by the caller of `next`). */
  acquire(token: string, executionId: string, limit: number): boolean {
    if (this.#held.has(token)) return true
    if (this.#waiting.size === 0 && this.#held.size < limit) {
      this.#hold(token, executionId)
      return true
    }
    if (!this.#waiting.has(token)) {
      this.#order++
      this.#kv.put(ORDER, this.#order)
      const waiting = { executionId, limit, order: this.#order }
      this.#waiting.set(token, waiting)
      this.#kv.put(W + token, waiting)
    }
    return false
  }

  release(token: string): void {
    if (this.#held.delete(token)) this.#kv.delete(H + token)
    if (this.#waiting.delete(token)) this.#kv.delete(W + token)
  }

  /** Gives back every token of `executionId`, held or waiting; how many there were. */
  releaseExecution(executionId: string): number {
    let released = 0
    for (const [token, held] of [...this.#held]) if (held.executionId === executionId) this.release(token), released++
    for (const [token, waiting] of [...this.#waiting]) if (waiting.executionId === executionId) this.release(token), released++
    return released
  }

  /** The waiting bodies that may run now, made holders, in order: [token, executionId]. */
  next(): Array<readonly [string, string]> {
    const granted: Array<readonly [string, string]> = []
    const line = [...this.#waiting].sort((a, b) => a[1].order - b[1].order)
    for (const [token, waiting] of line) {
      if (this.#held.size >= waiting.limit) break
      this.release(token)
      this.#hold(token, waiting.executionId)
      granted.push([token, waiting.executionId])
    }
    return granted
  }

  #hold(token: string, executionId: string) {
    this.#held.set(token, { executionId })
    this.#kv.put(H + token, { executionId })
  }
}

export const stepGateName = (key: string) => `step limit/${key}`
export const isStepGateName = (name: string) => name.startsWith("step limit/")
