/**
 * A Reprise server in its own process for the continue-as-new crash test: `node continue-server.ts <db> <effects>`.
 * Prints `listening <port>` once it serves. "chain" counts to `total` one step at a time, continuing as new every
 * `every` steps; each step body writes `tick <n>` to the effects file.
 */
import { appendFileSync } from "node:fs"
import { durable } from "../../../src/index.ts"
import { serve } from "../../../adapters/node/serve.ts"

const [dbPath, effects] = process.argv.slice(2) as [string, string]

const chain = durable("chain", async (input: { done: number; total: number; every: number }, ctx) => {
  let done = input.done
  for (let i = 0; i < input.every && done < input.total; i++) {
    const before = done
    done = await ctx.step("tick", async () => {
      appendFileSync(effects, `tick ${before}\n`)
      return before + 1
    })
  }
  if (done < input.total) return ctx.continueAsNew({ ...input, done })
  return done
})

const server = await serve({ functions: [chain], dbPath, port: 0, evictEveryMs: 200 })
console.log(`listening ${server.port}`)
