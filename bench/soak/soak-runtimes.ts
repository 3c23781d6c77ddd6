/**
 * The crash soak's runtimes (bench/soak/soak.ts --runtime=...): how each server generation is started, and for
 * workerd what the driver sets up first (the bundled Worker, and the ledger server its step bodies post to).
 *
 * - node: the Node server on SQLite (node-soak-server.ts); the step bodies append to the ledger file themselves.
 * - deno: the Deno server on Deno KV, under the deno binary from npm (deno-soak-server.ts).
 * - workerd: the Cloudflare adapter in Miniflare's workerd (workerd-soak-server.ts), Durable Objects persisted on
 *   disk. A Worker cannot write a file, so the bodies post each line to the driver on 127.0.0.1, which appends and
 *   fsyncs it before it answers, stamping the generation that was serving and its own clock. The launcher runs in
 *   its own process group, and a kill is a SIGKILL of the group: the Node launcher and workerd die together.
 */
import { closeSync, fdatasyncSync, openSync, writeSync } from "node:fs"
import { createServer } from "node:http"
import { join } from "node:path"
import type { LedgerLine } from "./soak-functions.ts"
import { bundleTo } from "../../test/adapters/cloudflare/miniflare-fixture.ts"

export type RuntimeName = "node" | "deno" | "workerd"

export interface SoakRuntime {
  readonly label: string
  /** The program and arguments of server generation `n`. */
  command(n: number): [string, Array<string>]
  /** Start it in its own process group and kill the whole group (workerd runs under the Node launcher). */
  readonly group: boolean
  /** Told which generation is serving (the ledger server stamps it). */
  serving(n: number): void
  close(): void
}

export const soakRuntime = async (name: RuntimeName, root: string, dir: string, ledger: string): Promise<SoakRuntime> => {
  const node = join(root, "node_modules/.bin/node")
  if (name === "node") {
    const db = join(dir, "soak.db")
    return {
      label: "Node server, SQLite",
      command: (n) => [node, ["--conditions=reprise-source", "--max-semi-space-size=2", join(root, "bench/soak/node-soak-server.ts"), db, ledger, String(n)]],
      group: false,
      serving: () => undefined,
      close: () => undefined
    }
  }
  if (name === "deno") {
    const kv = join(dir, "soak.kv")
    return {
      label: "Deno server, Deno KV",
      command: (n) => [join(root, "node_modules/.bin/deno"), ["run", "-A", "--config", "adapters/deno/deno.json", "bench/soak/deno-soak-server.ts", kv, ledger, String(n)]],
      group: false,
      serving: () => undefined,
      close: () => undefined
    }
  }
  // workerd: bundle the Worker once (as wrangler would), and serve the ledger.
  const scriptPath = join(dir, "worker.mjs")
  await bundleTo(join(root, "bench/soak/workerd-soak-worker.ts"), scriptPath)
  const fd = openSync(ledger, "a")
  let generation = 0
  const server = createServer((request, response) => {
    let body = ""
    request.setEncoding("utf8")
    request.on("data", (chunk: string) => (body += chunk))
    request.on("end", () => {
      try {
        const line = JSON.parse(body) as LedgerLine
        writeSync(fd, `${JSON.stringify({ ...line, g: generation, t: Date.now() })}\n`)
        fdatasyncSync(fd)
        response.writeHead(204).end()
      } catch (error) {
        response.writeHead(400).end(String(error))
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as { port: number }).port
  const persist = join(dir, "persist")
  return {
    label: "Cloudflare adapter in workerd (Miniflare), Durable Objects on disk",
    command: () => [node, ["--conditions=reprise-source", join(root, "bench/soak/workerd-soak-server.ts"), persist, scriptPath, `http://127.0.0.1:${port}/ledger`]],
    group: true,
    serving: (n) => void (generation = n),
    close: () => {
      server.close()
      closeSync(fd)
    }
  }
}
