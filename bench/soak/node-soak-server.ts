/**
 * The crash soak's Node server (bench/soak/soak.ts): `node node-soak-server.ts <db> <ledger> <generation>`.
 * Prints `listening <port>` once it serves; the driver kills it with SIGKILL and starts it again over the same file.
 */
import { closeSync, fdatasyncSync, openSync, writeSync } from "node:fs"
import { serve } from "../../adapters/node/serve.ts"
import { soakFunctions } from "./soak-functions.ts"

const [dbPath, ledgerPath, generation] = process.argv.slice(2) as [string, string, string]
const ledger = openSync(ledgerPath, "a")
process.on("exit", () => closeSync(ledger))
const functions = soakFunctions((line) => {
  writeSync(ledger, `${JSON.stringify(line)}\n`)
  fdatasyncSync(ledger)
}, Number(generation))

const server = await serve({ functions, dbPath, port: 0, evictEveryMs: 1000, logging: { level: "warn" } })
console.log(`listening ${server.port}`)
