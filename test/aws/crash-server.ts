/**
 * A Reprise server in its own process serving an AWS-SDK handler, for the crash test:
 * `node --conditions=reprise-source crash-server.ts <db> <side-effect file>`. Prints `listening <port>` once it
 * serves. Its step bodies write their side effects to the file.
 */
import { appendFileSync } from "node:fs"
import { withDurableExecution } from "@aws/durable-execution-sdk-js"
import { awsHandler } from "reprise/aws"
import { serve } from "reprise/node"

const [dbPath, sideEffects] = process.argv.slice(2) as [string, string]
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const manySteps = awsHandler(
  "aws-many-steps",
  withDurableExecution(async (count: number, context) => {
    let total = 0
    for (let i = 0; i < count; i++) {
      if (i === Math.floor(count / 2)) await context.wait("nap", { seconds: 1 })
      total += await context.step(`step-${i}`, async () => {
        appendFileSync(sideEffects, `begin ${i}\n`)
        await sleep(40)
        appendFileSync(sideEffects, `done ${i}\n`)
        return i
      })
    }
    return total
  })
)

const server = await serve({ functions: [manySteps], dbPath, port: 0, hostname: "127.0.0.1", evictEveryMs: 200, logging: { level: "warn" } })
console.log(`listening ${server.port}`)
