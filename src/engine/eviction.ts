/**
 * Which actors an eviction drops (issue 13): not every suspended one, which would make a wait due in a second
 * replay its whole log on waking, but those that will stay suspended a while (their next timer is further away
 * than `keepWarmMs`, or they have none: a callback, a child) and those that have ended; past `maxInMemory` actors,
 * the warm ones go too, those due last first (memory pressure).
 */

export interface EvictOptions {
  /** An execution whose next timer is due within this many ms stays in memory (default 0: any evictable one goes). */
  readonly keepWarmMs?: number
  /** With more actors than this in memory, warm ones go as well, those due last first (default: no limit). */
  readonly maxInMemory?: number
}

/** What the choice reads of an actor. */
export interface EvictionCandidate {
  readonly evictable: boolean
  /** Paused holding its concurrency slot: not evicted for being idle (it would give the slot back). */
  readonly keepsSlot?: boolean
  readonly running: boolean
  now(): number
  nextOperationDue(): number | undefined
}

/** The actors to evict, of `actors` (all those in memory). */
export const chooseEvictions = <A extends EvictionCandidate>(actors: ReadonlyArray<A>, options: EvictOptions = {}): Array<A> => {
  const keepWarmMs = options.keepWarmMs ?? 0
  const cold: Array<A> = []
  const warm: Array<{ readonly actor: A; readonly due: number }> = []
  for (const actor of actors) {
    if (!actor.evictable || actor.keepsSlot === true) continue
    const due = actor.running ? actor.nextOperationDue() : undefined
    if (due === undefined || due - actor.now() > keepWarmMs) cold.push(actor)
    else warm.push({ actor, due })
  }
  const over = actors.length - cold.length - (options.maxInMemory ?? Infinity)
  if (over <= 0) return cold
  warm.sort((a, b) => b.due - a.due)
  return [...cold, ...warm.slice(0, over).map((w) => w.actor)]
}
