/**
 * What one request costs the Node server, in its own CPU: `/healthz` (the HTTP floor of this server), a lookup of an
 * unknown execution, and starts with `?wait` of executions of 0 and 10 steps (W2's). An execution of 0 steps is an
 * execution's fixed cost (its start and end, two appends, the answer); 10 steps add W2's per-step cost. The server is
 * bench/workload-server.ts on a SQLite file (NORMAL), in its own process; each round sends 200 requests of one kind at
 * once, and the server's CPU over a round (from /proc, 10 ms ticks) is divided by 200. Kinds are interleaved round by
 * round; the first rounds are warm-up. Not part of `npm test`.
 *   node --conditions=reprise-source bench/request-costs.ts [--rounds=40] [--warmup=10] [--compare=<checkout>]
 * With --compare, the same requests against another checkout's server (e.g. `git worktree add` of an earlier commit,
 * node_modules linked), round by round interleaved.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { Agent, request } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"

const option = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback
const ROUNDS = Number(option("rounds", "40"))
const WARMUP = Number(option("warmup", "10"))
const COMPARE = option("compare", "")
const PER_ROUND = 200

interface Server {
  readonly label: string
  readonly child: ChildProcess
  readonly url: string
  readonly agent: Agent
  readonly dir: string
}

const launch = async (label: string, checkout: string): Promise<Server> => {
  const dir = mkdtempSync(join(tmpdir(), "reprise-request-costs-"))
  const script = join(checkout, "bench/workload-server.ts")
  const child = spawn(process.execPath, ["--conditions=reprise-source", script, join(dir, "bench.db"), "NORMAL"], { stdio: ["ignore", "pipe", "ignore"] })
  const url = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the ${label} server exited (${code})`)))
    createInterface({ input: child.stdout! }).once("line", (line) => resolve((JSON.parse(line) as { url: string }).url))
  })
  // The server drops keep-alive connections idle for 5 s: the client drops its own after 2 s.
  return { label, child, url, agent: new Agent({ keepAlive: true, maxSockets: 256, timeout: 2000 }), dir }
}

const cpuMs = (server: Server): number => {
  const fields = readFileSync(`/proc/${server.child.pid}/stat`, "utf8").split(") ")[1]!.split(" ")
  return (Number(fields[11]) + Number(fields[12])) * 10
}

const send = (server: Server, method: string, path: string, body?: string) =>
  new Promise<number>((resolve, reject) => {
    const headers: Record<string, string | number> = body === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(body) }
    const req = request(server.url + path, { method, agent: server.agent, headers }, (res) => {
      res.resume()
      res.on("end", () => resolve(res.statusCode ?? 0))
    })
    req.on("error", reject)
    req.end(body)
  })

const KINDS: Record<string, { readonly expect: number; readonly send: (server: Server) => Promise<number> }> = {
  "GET /healthz": { expect: 200, send: (s) => send(s, "GET", "/healthz") },
  "GET an unknown execution (404)": { expect: 404, send: (s) => send(s, "GET", "/v1/executions/nope") },
  "start ?wait, 0 steps": { expect: 201, send: (s) => send(s, "POST", "/v1/functions/steps/executions?wait=60", JSON.stringify({ input: 0 })) },
  "start ?wait, 10 steps (W2's)": { expect: 201, send: (s) => send(s, "POST", "/v1/functions/steps/executions?wait=60", JSON.stringify({ input: 10 })) }
}

const here = join(fileURLToPath(new URL(".", import.meta.url)), "..")
const servers = [await launch("this tree", here), ...(COMPARE === "" ? [] : [await launch("compare", COMPARE)])]
const samples = new Map<string, Array<number>>()
try {
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    for (const [kind, { expect, send: one }] of Object.entries(KINDS)) {
      for (const server of servers) {
        const before = cpuMs(server)
        const statuses = await Promise.all(Array.from({ length: PER_ROUND }, () => one(server)))
        const wrong = statuses.find((status) => status !== expect)
        if (wrong !== undefined) throw new Error(`${kind} on ${server.label}: HTTP ${wrong}`)
        const key = `${kind}\u0000${server.label}`
        if (round >= WARMUP) samples.set(key, [...(samples.get(key) ?? []), (cpuMs(server) - before) / PER_ROUND])
      }
    }
  }
} finally {
  for (const server of servers) {
    server.agent.destroy()
    server.child.kill("SIGTERM")
  }
  await new Promise((resolve) => setTimeout(resolve, 500))
  for (const server of servers) rmSync(server.dir, { recursive: true, force: true })
}

const mean = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0) / xs.length
console.log(`Server CPU per request, us (mean of ${ROUNDS} rounds of ${PER_ROUND} at once, after ${WARMUP} warm-up rounds)`)
console.table(Object.keys(KINDS).map((kind) => ({
  request: kind,
  ...Object.fromEntries(servers.map((server) => [server.label, (1000 * mean(samples.get(`${kind}\u0000${server.label}`)!)).toFixed(0)]))
})))
