/**
 * A Reprise server with a schedule, in its own process, for the schedule crash test:
 * `node schedule-crash-server.ts <db> <side-effect file>`. Prints `listening <port>` once it serves. The scheduled
 * function's step writes `begin <execution id>` and, a second later, `done <execution id>` to the file.
 */
import { appendFileSync } from "node:fs"
import { durable, schedule } from "../../../src/index.ts"
import { serve } from "../../../adapters/node/serve.ts"

const [dbPath, sideEffects] = process.argv.slice(2) as [string, string]
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const job = durable("minute-job", async (_: unknown, ctx) => {
  const id = ctx.executionId ?? "?"
  await ctx.step("work", async () => {
    appendFileSync(sideEffects, `begin ${id}\n`)
    await sleep(1000)
    appendFileSync(sideEffects, `done ${id}\n`)
  })
  return "ok"
})

const everyMinute = schedule("every-minute", { function: job, cron: "* * * * *", overlap: "skip", catchUp: { minutes: 5 } })

const server = await serve({ functions: [job], schedules: [everyMinute], dbPath, port: 0, evictEveryMs: 200 })
console.log(`listening ${server.port}`)
