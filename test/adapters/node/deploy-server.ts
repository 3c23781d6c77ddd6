/**
 * A Reprise server in its own process, for the after-a-deploy test: `node deploy-server.ts <db> <deploy>` serves the
 * functions of that deploy (../after-a-deploy/functions.ts) on the SQLite file. Prints `listening <port>` once it
 * serves.
 */
import { serve } from "../../../adapters/node/serve.ts"
import { type Deploy, functionsOf } from "../after-a-deploy/functions.ts"

const [dbPath, deploy] = process.argv.slice(2) as [string, Deploy]

const server = await serve({ functions: functionsOf(deploy), dbPath, port: 0 })
console.log(`listening ${server.port}`)
