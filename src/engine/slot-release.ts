/**
 * When an execution under a concurrency limit gives its slot back: once it is blocked on durable operations only
 * (a wait, a callback, an invoke, a retry's backoff) or has ended. Checked a macrotask after the moment it may have
 * become so, so that a step that ends and the next one that begins do not give the slot away in between.
 */
import type { FlowSlot } from "./flow-slots.ts"
import { realSetTimeout } from "../context/real-timers.ts"

export class SlotRelease {
  readonly #slot: () => FlowSlot | undefined
  readonly #blocked: () => boolean
  /** Something waits on a durable operation, but a write or a message is still in flight: look again soon. */
  readonly #settling: () => boolean
  #scheduled = false

  constructor(slot: () => FlowSlot | undefined, blocked: () => boolean, settling: () => boolean) {
    this.#slot = slot
    this.#blocked = blocked
    this.#settling = settling
  }

  check(tries = 20): void {
    const slot = this.#slot()
    if (slot === undefined || !slot.held || this.#scheduled) return
    this.#scheduled = true
    realSetTimeout(() => {
      this.#scheduled = false
      if (!slot.held) return
      if (this.#blocked()) slot.release()
      else if (tries > 1 && this.#settling()) this.check(tries - 1) // bounded: a step body starting ends it anyway
    }, 0)
  }
}
