/** Which actors an eviction drops (src/engine/eviction.ts), as a pure choice. */
import { assert, describe, it } from "@effect/vitest"
import { chooseEvictions, type EvictionCandidate } from "../../src/engine/eviction.ts"

const actor = (name: string, due: number | undefined, more: Partial<EvictionCandidate> = {}) => ({
  name,
  evictable: true,
  running: true,
  now: () => 1_000,
  nextOperationDue: () => due,
  ...more
})
const names = (chosen: ReadonlyArray<{ readonly name: string }>) => chosen.map((a) => a.name).sort()

describe("chooseEvictions", () => {
  const actors = [
    actor("soon", 2_000),
    actor("later", 1_000 + 3_600_000),
    actor("callback", undefined),
    actor("ended", undefined, { running: false }),
    actor("ended-with-timer", 1_500, { running: false }),
    actor("busy", 1_500, { evictable: false })
  ]

  it("without options drops every evictable actor", () => {
    assert.deepStrictEqual(names(chooseEvictions(actors)), ["callback", "ended", "ended-with-timer", "later", "soon"])
  })

  it("keeps those due within keepWarmMs, and never one that is not evictable", () => {
    assert.deepStrictEqual(names(chooseEvictions(actors, { keepWarmMs: 10_000 })), ["callback", "ended", "ended-with-timer", "later"])
  })

  it("past maxInMemory drops warm ones too, those due last first", () => {
    const warm = [actor("w1", 1_100), actor("w3", 1_300), actor("w2", 1_200), actor("busy", 1_050, { evictable: false })]
    assert.deepStrictEqual(names(chooseEvictions(warm, { keepWarmMs: 10_000, maxInMemory: 2 })), ["w2", "w3"])
    assert.deepStrictEqual(names(chooseEvictions(warm, { keepWarmMs: 10_000, maxInMemory: 4 })), [])
  })
})
