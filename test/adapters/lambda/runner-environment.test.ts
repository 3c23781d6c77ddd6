/** AWS's local runner skips time with a fake clock; the test worker's process.nextTick must keep working through it. */
import { describe, expect, it } from "vitest"
import { setUpRunnerEnvironment, tearDownRunnerEnvironment } from "./runner-environment.ts"

const nodeNextTick = process.nextTick
const aRealTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

describe("AWS's runner environment in a test worker", () => {
  it("keeps process.nextTick running callbacks while the fake clock is installed", async () => {
    await setUpRunnerEnvironment({ skipTime: true })
    try {
      const ran: Array<string> = []
      process.nextTick(() => ran.push("tick"))
      await aRealTurn()
      expect(ran).toEqual(["tick"])
    } finally {
      await tearDownRunnerEnvironment()
    }
  })

  it("survives Vitest's swap of process.nextTick around an RPC call that spans the teardown (how a worker hung)", async () => {
    await setUpRunnerEnvironment({ skipTime: true })
    // What Vitest's worker does around each RPC call: the real nextTick for the call, then, a tick later, back
    // to what it found. Here the teardown falls in between.
    const found = process.nextTick
    process.nextTick = nodeNextTick
    await tearDownRunnerEnvironment()
    process.nextTick = found
    try {
      // Node delivers an IPC message (the answer to the call) through process.nextTick.
      const ran: Array<string> = []
      process.nextTick(() => ran.push("delivered"))
      await aRealTurn()
      expect(ran).toEqual(["delivered"])
    } finally {
      process.nextTick = nodeNextTick // what Vitest put back must not outlive the test, whatever it was
    }
  })

  it("leaves Node's own process.nextTick in place and untouched afterwards", async () => {
    await setUpRunnerEnvironment({ skipTime: true })
    await tearDownRunnerEnvironment()
    expect(process.nextTick).toBe(nodeNextTick)
    expect(Object.hasOwn(nodeNextTick, "clock")).toBe(false)
    expect(Object.getOwnPropertyDescriptor(process, "nextTick")).toMatchObject({ writable: true, value: nodeNextTick })
  })
})
