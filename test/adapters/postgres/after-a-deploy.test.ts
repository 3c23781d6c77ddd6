/**
 * After a deploy, on PostgreSQL: the host (servePostgres) on a real PostgreSQL server, closed and served again on
 * the same database with the functions of each deploy, driven over HTTP through the scenario of ../after-a-deploy.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { type PostgresServer as Host, servePostgres } from "../../../adapters/postgres/serve-postgres.ts"
import { functionsOf } from "../after-a-deploy/functions.ts"
import { afterADeploy } from "../after-a-deploy/scenario.ts"
import { type PostgresServer, startPostgres } from "./postgres-server.ts"

let postgres: PostgresServer
let host: Host | undefined

beforeAll(async () => {
  postgres = await startPostgres()
}, 90_000)

afterAll(async () => {
  await host?.close()
  await postgres?.stop()
}, 40_000)

describe("after a deploy, on PostgreSQL (a host served again with other functions)", () => {
  it("executions of a removed function are stopped and paused, changed code is paused without failing, a late callback is not running, a rewind runs under the new label", async () => {
    await afterADeploy(async (deploy) => {
      await host?.close()
      host = await servePostgres({ functions: functionsOf(deploy), url: postgres.url, schema: "after_a_deploy", port: 0, handleSignals: false })
      return { url: host.url }
    }, assert)
  }, 60_000)
})
