import { assert, describe, it } from "@effect/vitest"
import { createTestRunner } from "reprise/testing"
import { fakeFleet, makeFirmwareRollout, type Rollout } from "../../examples/firmware-rollout.ts"
import { fixedStart } from "../testing/fixed-start.ts"

// 20 devices: wave 1 is device-01..02 (10%), wave 2 device-03..10 (up to 50%), wave 3 device-11..20.
const deviceIds = Array.from({ length: 20 }, (_, i) => `device-${String(i + 1).padStart(2, "0")}`)
const rollout: Rollout = { firmware: "v2.4.1", deviceIds }
const HOUR = 60 * 60 * 1000
const START = Date.UTC(2026, 0, 1)

const setup = (broken: ReadonlyArray<string> = []) => {
  const fleet = fakeFleet({ broken })
  const runner = createTestRunner({ ...fixedStart, functions: [makeFirmwareRollout(fleet)] })
  /** How many flash attempts each device got, for the devices that got any. */
  const flashCounts = () => Object.fromEntries([...new Set(fleet.flashes)].map((d) => [d, fleet.flashes.filter((f) => f === d).length]))
  return { fleet, runner, flashCounts }
}

describe("examples/firmware-rollout", () => {
  it("updates the whole fleet in three waves an hour apart, flashing each device once", async () => {
    const { runner, fleet, flashCounts } = setup()
    const execution = await runner.run("firmware-rollout", rollout)
    assert.deepStrictEqual(execution.result, { status: "completed", updated: deviceIds, failed: [] })
    assert.deepStrictEqual(flashCounts(), Object.fromEntries(deviceIds.map((d) => [d, 1])))
    assert.isTrue(deviceIds.every((d) => fleet.firmwareOf.get(d) === "v2.4.1"))
    assert.strictEqual(execution.now.getTime() - START, 2 * HOUR) // two soak periods, skipped
    assert.deepStrictEqual(execution.getOperation("wave-2")?.children().map((c) => c.name), deviceIds.slice(2, 10))
    await runner.dispose()
  })

  it("waits a full hour between waves", async () => {
    const { runner, fleet } = setup()
    const execution = await runner.start("firmware-rollout", rollout)
    assert.strictEqual(fleet.flashes.length, 2) // wave 1, then the first soak
    await execution.advanceTime({ minutes: 59 })
    assert.strictEqual(fleet.flashes.length, 2)
    await execution.advanceTime({ minutes: 1 })
    assert.strictEqual(fleet.flashes.length, 10) // wave 2
    await execution.advanceTime({ hours: 1 })
    assert.strictEqual(fleet.flashes.length, 20)
    assert.strictEqual(execution.status, "SUCCEEDED")
    await runner.dispose()
  })

  it("goes on when a wave's failures are within the threshold (1 of 10 in wave 3); the broken device is retried once", async () => {
    const { runner, fleet, flashCounts } = setup(["device-15"])
    const execution = await runner.run("firmware-rollout", rollout)
    assert.deepStrictEqual(execution.result, { status: "completed", updated: deviceIds.filter((d) => d !== "device-15"), failed: ["device-15"] })
    assert.strictEqual(flashCounts()["device-15"], 2)
    assert.strictEqual(fleet.flashes.length, 21)
    assert.deepStrictEqual(fleet.pages, [])
    await runner.dispose()
  })

  it("halts in wave 2 when 2 of its 8 devices fail (25% > 20%): pages on-call once, never touches wave 3", async () => {
    const { runner, fleet } = setup(["device-04", "device-06"])
    const execution = await runner.run("firmware-rollout", rollout)
    const result = execution.result as { status: string; wave: number; failed: Array<string>; updated: Array<string> }
    assert.strictEqual(result.status, "halted")
    assert.strictEqual(result.wave, 2)
    assert.deepStrictEqual(result.failed, ["device-04", "device-06"])
    assert.deepStrictEqual(fleet.pages, ["Rollout of v2.4.1 halted in wave 2: 2 of 8 devices failed"])
    assert.isTrue(fleet.flashes.every((d) => deviceIds.indexOf(d) < 10)) // no device of wave 3
    assert.isUndefined(execution.getOperation("wave-3"))
    assert.isUndefined(execution.getOperation("soak-after-wave-2"))
    await runner.dispose()
  })

  it("resumes after crashes during both soak periods without reflashing any device", async () => {
    const { runner, fleet, flashCounts } = setup()
    const execution = await runner.start("firmware-rollout", rollout)
    await execution.evict() // crash during the first soak
    await execution.advanceTime({ hours: 1 }) // replay: wave 1 comes from the log, wave 2 runs
    assert.strictEqual(fleet.flashes.length, 10)
    await execution.evict() // crash during the second soak
    await execution.advanceTime({ hours: 1 })

    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.strictEqual(execution.invocations, 3)
    assert.deepStrictEqual(flashCounts(), Object.fromEntries(deviceIds.map((d) => [d, 1])))
    assert.deepStrictEqual((execution.result as { updated: Array<string> }).updated, deviceIds)
    await runner.dispose()
  })
})
