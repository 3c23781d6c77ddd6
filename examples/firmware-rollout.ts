/**
 * An IoT firmware rollout in waves: 10% of the fleet, then up to 50%, then everyone, with an hour between waves
 * for the new firmware to prove itself. Each wave flashes its devices with `ctx.map`, five at a time. If more than
 * `maxFailureRate` of a wave's devices fail, the wave stops starting devices, the rollout halts and on-call is paged.
 */
import { createRetryStrategy, durable } from "reprise"

export interface Rollout {
  readonly firmware: string
  readonly deviceIds: ReadonlyArray<string>
  /** Share of the fleet updated by the end of each wave (default 10%, 50%, 100%). */
  readonly waves?: ReadonlyArray<number>
  /** Highest tolerated share of failed devices in a wave, 0-1 (default 0.2). */
  readonly maxFailureRate?: number
}

/** A fake device fleet: flashing a device in `broken` always fails; pages go to `pages`. */
export const fakeFleet = (options: { broken?: ReadonlyArray<string> } = {}) => {
  const flashes: Array<string> = [] // one entry per flash attempt
  const firmwareOf = new Map<string, string>()
  const pages: Array<string> = []
  return {
    flashes, firmwareOf, pages,
    flash: async (deviceId: string, firmware: string) => {
      flashes.push(deviceId)
      if (options.broken?.includes(deviceId)) throw new Error(`${deviceId} did not come back after reboot`)
      firmwareOf.set(deviceId, firmware)
    },
    page: async (message: string) => { pages.push(message) }
  }
}
export type Fleet = ReturnType<typeof fakeFleet>

export const makeFirmwareRollout = (fleet: Fleet) =>
  durable("firmware-rollout", async (rollout: Rollout, ctx) => {
    const waves = rollout.waves ?? [0.1, 0.5, 1]
    const maxFailureRate = rollout.maxFailureRate ?? 0.2
    const updated: Array<string> = []
    const failed: Array<string> = []
    let next = 0
    for (const [i, share] of waves.entries()) {
      const wave = rollout.deviceIds.slice(next, Math.ceil(rollout.deviceIds.length * share))
      next += wave.length
      if (wave.length === 0) continue // a fleet too small for this wave

      const result = await ctx.map(`wave-${i + 1}`, wave, (device, deviceId) =>
        device.step("flash", () => fleet.flash(deviceId, rollout.firmware), {
          retryStrategy: createRetryStrategy({ maxAttempts: 2, initialDelay: { minutes: 1 } })
        }), {
        maxConcurrency: 5,
        itemNamer: (deviceId) => deviceId,
        // Stop starting devices in this wave as soon as the failures pass the threshold.
        completionConfig: { toleratedFailurePercentage: maxFailureRate * 100 }
      })
      updated.push(...result.succeeded().map((item) => item.name!))
      failed.push(...result.failed().map((item) => item.name!))

      if (result.completionReason === "FAILURE_TOLERANCE_EXCEEDED") {
        await ctx.step("page-on-call", () =>
          fleet.page(`Rollout of ${rollout.firmware} halted in wave ${i + 1}: ${result.failureCount} of ${wave.length} devices failed`))
        return { status: "halted" as const, wave: i + 1, updated, failed }
      }
      // Let the new firmware run for an hour before the next, larger wave (no compute is used meanwhile).
      if (i < waves.length - 1) await ctx.wait(`soak-after-wave-${i + 1}`, { hours: 1 })
    }
    return { status: "completed" as const, updated, failed }
  }, { description: "IoT firmware rollout in waves (10% / 50% / 100%) an hour apart, halting when a wave fails too often" })

/** The instance `npm start` serves. */
export const firmwareRollout = makeFirmwareRollout(fakeFleet({ broken: ["device-13"] }))
