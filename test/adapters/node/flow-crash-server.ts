/**
 * A Reprise server with a concurrency-limited function, in its own process, for the flow-control crash test:
 * `node flow-crash-server.ts <db> <side-effect file>`. Prints `listening <port>` once it serves. The step writes
 * `begin <input>`, holds until the file `<side-effect file>.release` exists (the test creates it when it has seen the
 * queue: a body that ended on a timer let queued executions move on while the test looked), and a second later
 * writes `done <input>`.
 */
import { appendFileSync, existsSync } from "node:fs"
import { durable } from "../../../src/index.ts"
import { serve } from "../../../adapters/node/serve.ts"

const [dbPath, sideEffects] = process.argv.slice(2) as [string, string]
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const limited = durable("two-at-a-time", async (input: string, ctx) => {
  await ctx.step("work", async () => {
    appendFileSync(sideEffects, `begin ${input}\n`)
    for (let i = 0; i < 3000 && !existsSync(`${sideEffects}.release`); i++) await sleep(20) // at most 60 s
    await sleep(1000)
    appendFileSync(sideEffects, `done ${input}\n`)
  })
  return input
}, { concurrency: 2 })

const server = await serve({ functions: [limited], dbPath, port: 0, evictEveryMs: 200 })
console.log(`listening ${server.port}`)
