/**
 * Registers the contract checks for one runtime (the way Hono runs one suite per runtime): the runtime is built
 * once, the checks run in order against it, and it is closed at the end.
 */
import { afterAll, beforeAll, describe, it } from "vitest"
import { type CheckContext, type CheckName, checks, contextOf } from "./checks.ts"
import type { ContractRuntime } from "./runtime.ts"

export const allChecks = Object.keys(checks) as ReadonlyArray<CheckName>

export interface SuiteOptions {
  /** The checks this runtime serves (default: all of them); the runtime's file says why any are left out. */
  readonly only?: ReadonlyArray<CheckName>
  /** How long building (or restarting) the runtime may take. */
  readonly startTimeoutMs?: number
}

export const contractSuite = (runtime: string, start: () => Promise<ContractRuntime>, options: SuiteOptions = {}) =>
  describe(`contract: ${runtime}`, () => {
    let context: CheckContext | undefined
    beforeAll(async () => {
      context = contextOf(await start())
    }, options.startTimeoutMs ?? 60_000)
    afterAll(async () => {
      await context?.rt.close()
    }, 30_000)
    for (const name of options.only ?? allChecks) {
      it(checks[name].name, async () => {
        if (context === undefined) throw new Error(`the ${runtime} runtime did not start`)
        await checks[name].run(context)
      }, 60_000) // above the checks' own bounded waits (30 s), so a slow check fails with their message
    }
  })
