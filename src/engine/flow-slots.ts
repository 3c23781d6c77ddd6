/**
 * Concurrency slots of flow control (docs/flow-control.md), in memory: who holds a slot of each (function, key), and
 * the executions that were suspended, woke up, and wait for one again before their next step body. Those come
 * before queued starts: they have begun already.
 */

export interface FlowSlot {
  /** Whether this execution holds its slot now. */
  readonly held: boolean
  /** Takes the slot: undefined when held (or taken at once), else a promise that resolves once it is. */
  acquire(): Promise<void> | undefined
  /** Gives the slot back (the execution suspended, ended or left memory); nothing if not held. */
  release(): void
}

interface Group {
  readonly holders: Set<string>
  readonly resumers: Array<{ readonly executionId: string; readonly take: () => void }>
}

export class FlowSlots {
  readonly #groups = new Map<string, Group>()
  /**
   * Slots held for executions that were running user code when the last process died (`reserve`): the execution's
   * next handle takes its slot at once (it has begun: it goes before queued starts), or gives it back by ending or
   * blocking; one never resumed is let go by `expire`. Keys are `<group>\u0000<executionId>`.
   */
  readonly #reserved = new Set<string>()
  /** Told when a slot of a group is free and no resumed execution took it: queued starts may go. */
  readonly #onFree: () => void

  constructor(onFree: () => void) {
    this.#onFree = onFree
  }

  #group(key: string): Group {
    let group = this.#groups.get(key)
    if (group === undefined) {
      group = { holders: new Set(), resumers: [] }
      this.#groups.set(key, group)
    }
    return group
  }

  /** Whether a queued start of this group may take a slot now (resumed executions waiting come first). */
  free(key: string, limit: number): boolean {
    const group = this.#groups.get(key)
    return group === undefined || (group.holders.size < limit && group.resumers.length === 0)
  }

  /** How many hold a slot of the group. */
  holding(key: string): number {
    return this.#groups.get(key)?.holders.size ?? 0
  }

  /** Gives `executionId`'s slot of the group to the first resumed execution waiting, else tells the queue. */
  #give(group: Group, executionId: string): void {
    group.holders.delete(executionId)
    const next = group.resumers.shift()
    if (next !== undefined) next.take()
    else this.#onFree()
  }

  /** Holds a slot of the group for an execution that was running user code before a restart (see #reserved). */
  reserve(key: string, executionId: string): void {
    this.#group(key).holders.add(executionId)
    this.#reserved.add(`${key}\u0000${executionId}`)
  }

  /** Lets go of a reservation its execution did not take (it was not resumed); nothing if it was taken. */
  expire(key: string, executionId: string): void {
    if (this.#reserved.delete(`${key}\u0000${executionId}`)) this.#give(this.#group(key), executionId)
  }

  /** A slot handle for one execution: `held` when the start just took it (an admission). */
  slot(key: string, limit: number, executionId: string, held: boolean): FlowSlot {
    const group = this.#group(key)
    if (held) group.holders.add(executionId)
    let isHeld = held
    let waiting: Promise<void> | undefined
    const give = () => this.#give(group, executionId)
    const reservation = `${key}\u0000${executionId}`
    return {
      get held() {
        return isHeld
      },
      acquire: () => {
        if (isHeld) return undefined
        if (waiting !== undefined) return waiting
        if (this.#reserved.delete(reservation)) {
          isHeld = true // held for it since the restart: it goes before anything queued
          return undefined
        }
        if (group.holders.size < limit && group.resumers.length === 0) {
          group.holders.add(executionId)
          isHeld = true
          return undefined
        }
        waiting = new Promise<void>((resolve) =>
          group.resumers.push({
            executionId,
            take: () => {
              group.holders.add(executionId)
              isHeld = true
              waiting = undefined
              resolve()
            }
          })
        )
        return waiting
      },
      release: () => {
        if (isHeld || this.#reserved.delete(reservation)) {
          isHeld = false
          give()
          return
        }
        // Gone while waiting for a slot: leave the line (its replay will queue again).
        const at = group.resumers.findIndex((r) => r.executionId === executionId)
        if (at >= 0) group.resumers.splice(at, 1)
        waiting = undefined
      }
    }
  }
}
