/**
 * Step limits counted by a FlowLedger (step-limits-shared.ts), against a ledger in memory (memory-flow-ledger.ts).
 * The real ledger, with several host processes, is in test/adapters/postgres/multi-host-flow.test.ts.
 */
import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect } from "effect"
import type { FlowLedgerShape } from "../../src/engine/flow-ledger.ts"
import { SecureRandom } from "../../src/engine/secure-random.ts"
import { makeSharedStepLimits, stepLimitName } from "../../src/engine/step-limits-shared.ts"
import { makeLedger } from "./memory-flow-ledger.ts"

const settle = () => new Promise((resolve) => setTimeout(resolve, 5))

/** The limits over `ledger`, for bodies that are wanted while their execution is not in `gone`. */
const limitsOver = (ledger: FlowLedgerShape, gone: ReadonlySet<string> = new Set()) => {
  const warnings: Array<string> = []
  const shared = makeSharedStepLimits(ledger, {
    clock: { currentTimeMillisUnsafe: () => 0 } as Clock.Clock, // the ledger counts on its own clock
    secureRandom: SecureRandom.defaultValue(),
    background: (what, _executionId, effect) => {
      if (what.startsWith("asking")) warnings.push(what) // a warning logged; giving back runs the release
      else void Effect.runPromise(effect)
    }
  })
  const limits = (key: string, limit: number, executionId: string) => shared.take(key, limit, executionId, () => !gone.has(executionId))
  return { limits, warnings, close: shared.close }
}

describe("step limits counted by a FlowLedger", () => {
  it("lets `limit` bodies of a key run, and the rest in the order they asked, one as each gives back", async () => {
    const { ledger, held, takes } = makeLedger()
    const { limits } = limitsOver(ledger)
    const ran: Array<string> = []
    const releases = new Map<string, () => void>()
    for (const id of ["a", "b", "c", "d", "e"]) {
      void limits("api", 2, id).then((release) => {
        ran.push(id)
        releases.set(id, release)
      })
    }
    await settle()
    assert.deepStrictEqual(ran, ["a", "b"])
    // Only the first in line asked (the others wait behind it without a query each).
    assert.strictEqual(takes.length, 3)
    releases.get("a")!()
    await settle()
    assert.deepStrictEqual(ran, ["a", "b", "c"])
    releases.get("b")!()
    releases.get("c")!()
    await settle()
    assert.deepStrictEqual(ran, ["a", "b", "c", "d", "e"])
    assert.deepStrictEqual([...held.values()], [stepLimitName("api"), stepLimitName("api")])
    // Each token is its execution's id and random bytes: two bodies of one execution never share one.
    assert.isTrue([...held.keys()].every((token) => /^[de]#[0-9a-f]{16}$/.test(token)))
  })

  it("keys do not hold each other up", async () => {
    const { ledger } = makeLedger()
    const { limits } = limitsOver(ledger)
    await limits("api", 1, "a")
    const other = await Promise.race([limits("mail", 1, "b").then(() => "ran"), settle().then(() => "waited")])
    assert.strictEqual(other, "ran")
  })

  it("a body no longer wanted (its execution stopped or left memory) gives its place up; the next in line gets the slot", async () => {
    const { ledger, held } = makeLedger()
    const gone = new Set<string>()
    const { limits } = limitsOver(ledger, gone)
    const first = await limits("api", 1, "a")
    const left = limits("api", 1, "left")
    const next = limits("api", 1, "next")
    await settle()
    gone.add("left")
    first()
    // It is answered at once (the caller sees it is not wanted and runs nothing), holding nothing in the ledger.
    await left
    await next
    assert.deepStrictEqual([...held.keys()].map((token) => token.split("#")[0]), ["next"])
  })

  it("a failed ask is logged and asked again", async () => {
    const { ledger, failWith, takes } = makeLedger()
    const { limits, warnings } = limitsOver(ledger)
    failWith(1)
    await limits("api", 1, "a") // asked again after 100 ms
    assert.deepStrictEqual(warnings, ["asking for a step-limit slot (asked again later)"])
    assert.strictEqual(takes.length, 2)
  })

  it("a slot freed without a wake-up (a dead host's, lapsed) is found at the ledger's poll", async () => {
    const { ledger, held, poll } = makeLedger()
    const { limits } = limitsOver(ledger)
    await limits("api", 1, "a") // never given back: its host died
    let ran = false
    void limits("api", 1, "b").then(() => void (ran = true))
    await settle()
    held.clear() // its lease lapsed
    await settle()
    assert.isFalse(ran, "nothing told it yet")
    poll()
    await settle()
    assert.isTrue(ran)
  })

  it("closed with the engine, a body waiting gives its place up, never runs and asks no more", async () => {
    const { ledger, takes, poll } = makeLedger()
    const { limits, close } = limitsOver(ledger)
    await limits("api", 1, "a")
    let ran = false
    void limits("api", 1, "b").then(() => void (ran = true))
    await settle()
    const asked = takes.length
    close()
    poll()
    await settle()
    assert.isFalse(ran)
    assert.strictEqual(takes.length, asked, "no ask after the close")
  })
})
