/**
 * The Node server of bench/workloads.ts, in its own process (so that the client's work does not share its CPU).
 *   node --conditions=reprise-source bench/workload-server.ts <db file> <NORMAL|FULL>
 * Prints one JSON line with its URL once it listens; SIGTERM closes it.
 */
import { serve } from "../adapters/node/serve.ts"
import { workloadFunctions } from "./workload-functions.ts"

const [dbPath, synchronous] = process.argv.slice(2)
const server = await serve({
  functions: workloadFunctions,
  dbPath: dbPath!,
  synchronous: synchronous === "FULL" ? "FULL" : "NORMAL",
  port: 0
})
process.stdout.write(JSON.stringify({ url: server.url }) + "\n")
