/**
 * Reprise as a user gets it: `npm pack` (prepack builds dist/), then the tarball installed into a new project under
 * the system's temp folder, offline from npm's cache (so no registry is needed: `npm install` or `npm ci` in the
 * repo has filled the cache). There, on the built package only: every entry imports on Node, a consumer file
 * type-checks under strict NodeNext settings with the package's .d.ts files checked too, `npx reprise --help` runs,
 * `reprise init` writes projects whose `npm test` (and for Node `npm start`) work, the Workers project bundles with
 * wrangler's dry run and serves in workerd, and a consumer file runs under the real deno.
 */
import { spawn } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { client, startMiniflare } from "../adapters/cloudflare/miniflare-fixture.ts"
import { CONSUMER_TS, DENO_TS, IMPORTS_MJS, tsconfig, WORKERS_TYPES_D_TS } from "./consumer-files.ts"
import { explain, ROOT, run, sleep, TOOLS, userEnv } from "./package-fixture.ts"

interface PackedFile {
  readonly path: string
  readonly size: number
}

const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  exports: Record<string, Record<string, string>>
  bin: Record<string, string>
}
const entries = Object.keys(manifest.exports).map((key) => (key === "." ? "reprise" : `reprise/${key.slice(2)}`))

let scratch: string
let packed: ReadonlyArray<PackedFile> = []
/** The tarball's file name in `scratch`. */
let tarball = ""
let installError: string | undefined
const cleanups: Array<() => Promise<unknown> | void> = []

const npm = (args: ReadonlyArray<string>, cwd: string, timeoutMs = 120_000) => run("npm", args, cwd, timeoutMs)

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "reprise-package-"))
  const pack = await npm(["pack", "--json", "--pack-destination", scratch], ROOT, 180_000)
  assert.strictEqual(pack.code, 0, explain("npm pack", pack))
  const json = /^\[\s*\{[\s\S]*\]\s*$/m.exec(pack.stdout)?.[0]
  assert.isDefined(json, `npm pack --json printed no JSON: ${pack.stdout}`)
  const [info] = JSON.parse(json!) as Array<{ filename: string; files: Array<PackedFile> }>
  packed = info!.files
  tarball = info!.filename
  // A lockfile made from the repo's, so that the offline install needs only the tarballs `npm install` or `npm ci`
  // in the repo cached: without one, npm resolves each dependency's range from its registry document, which a
  // lockfile install never downloads (a fresh machine's cache has none, and this test talks to no registry).
  const dependencies = { reprise: `file:${info!.filename}` }
  writeFileSync(join(scratch, "package.json"), `${JSON.stringify({ name: "consumer", private: true, type: "module", dependencies }, null, 2)}\n`)
  writeFileSync(join(scratch, "package-lock.json"), `${JSON.stringify(consumerLock(info!.filename), null, 2)}\n`)
  const install = await npm(["ci", "--offline", "--no-audit", "--no-fund"], scratch)
  if (install.code !== 0) {
    installError = `${explain("npm ci --offline (from npm's cache; run npm install in the repo first)", install)}`
  }
}, 300_000)

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true })
})

const installed = () => assert.isUndefined(installError, installError)

interface LockEntry {
  readonly version?: string
  readonly dependencies?: Record<string, string>
  readonly [key: string]: unknown
}

/**
 * The consumer's package-lock.json: the tarball, and reprise's runtime dependencies with their own, as the repo's
 * lockfile pins them (same versions and integrity, so npm takes them from its cache).
 */
const consumerLock = (tarball: string) => {
  const repoLock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> }
  const own = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as LockEntry & Record<string, unknown>
  const packages: Record<string, unknown> = {
    "": { name: "consumer", dependencies: { reprise: `file:${tarball}` } },
    "node_modules/reprise": {
      version: own.version,
      resolved: `file:${tarball}`,
      license: own["license"],
      dependencies: own.dependencies,
      bin: own["bin"],
      engines: own["engines"],
      peerDependencies: own["peerDependencies"],
      peerDependenciesMeta: own["peerDependenciesMeta"]
    }
  }
  const visit = (name: string) => {
    const key = `node_modules/${name}`
    if (packages[key] !== undefined) return
    const entry = repoLock.packages[key]
    assert.isDefined(entry, `the repo's lockfile has no ${key}`)
    packages[key] = entry
    for (const dependency of Object.keys(entry!.dependencies ?? {})) visit(dependency)
  }
  for (const name of Object.keys(own.dependencies ?? {})) visit(name)
  return { name: "consumer", lockfileVersion: 3, requires: true, packages }
}

describe("the packed tarball", () => {
  it("holds the build, README, licence and package.json only, with every export and the bin in it", () => {
    const paths = packed.map((file) => file.path)
    const outside = paths.filter((path) => !path.startsWith("dist/") && !["package.json", "README.md", "LICENSE"].includes(path))
    assert.deepStrictEqual(outside, [])
    assert.includeMembers(paths, ["package.json", "README.md", "LICENSE"])
    assert.deepStrictEqual(paths.filter((path) => path.endsWith(".ts") && !path.endsWith(".d.ts")), [], "no TypeScript sources")
    for (const [key, conditions] of Object.entries(manifest.exports)) {
      assert.deepStrictEqual(Object.keys(conditions), ["reprise-source", "types", "import"], key)
      assert.include(paths, conditions.types!.slice(2), `${key} types`)
      assert.include(paths, conditions.import!.slice(2), `${key} import`)
      assert.include(paths, `${conditions.import!.slice(2)}.map`, `${key} source map`)
    }
    assert.include(paths, manifest.bin.reprise!.replace(/^\.\//, ""))
  })

  it("installs for a Node user with its runtime dependencies only (no AWS SDK)", () => {
    installed()
    const top = readdirSync(join(scratch, "node_modules")).filter((name) => !name.startsWith("."))
    const names = top.flatMap((name) => (name.startsWith("@") ? readdirSync(join(scratch, "node_modules", name)).map((sub) => `${name}/${sub}`) : [name]))
    // @noble/hashes: the synchronous HMAC of signed callback ids (src/http/signed-callback-ids.ts); no dependencies.
    assert.sameMembers(names, ["reprise", "effect", "hono", "@hono/node-server", "@noble/hashes"])
  })

  it("its declaration files never name pg's types (docs/postgres.md: a user needs neither pg nor @types/pg to type-check)", () => {
    installed()
    const dist = join(scratch, "node_modules", "reprise", "dist")
    const naming: Array<string> = []
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name)
        if (statSync(path).isDirectory()) walk(path)
        else if (name.endsWith(".d.ts") && /from ["']pg(?:\/[^"']*)?["']|import\(["']pg(?:\/[^"']*)?["']\)/.test(readFileSync(path, "utf8"))) naming.push(path.slice(dist.length + 1))
      }
    }
    walk(dist)
    assert.deepStrictEqual(naming, [])
  })

  it("imports every entry on Node, each with the exports of its source", async () => {
    installed()
    writeFileSync(join(scratch, "imports.mjs"), IMPORTS_MJS)
    const ran = await run(process.execPath, ["imports.mjs", JSON.stringify(entries)], scratch, 60_000)
    assert.strictEqual(ran.code, 0, explain("node imports.mjs", ran))
    const names = JSON.parse(ran.stdout) as Record<string, Array<string>>
    assert.sameMembers(Object.keys(names), entries)
    for (const [key, conditions] of Object.entries(manifest.exports)) {
      const entry = key === "." ? "reprise" : `reprise/${key.slice(2)}`
      if (entry === "reprise/cloudflare") {
        assert.includeMembers(names[entry]!, ["createWorker", "IndexObject", "makeExecutionObject"])
        continue // its source needs workerd's cloudflare:workers, which vitest cannot load
      }
      const source = Object.keys(await import(join(ROOT, conditions["reprise-source"]!))).sort()
      assert.deepStrictEqual(names[entry], source, entry)
    }
  }, 90_000)

  it("type-checks a consumer of every entry under strict NodeNext settings, .d.ts files included (0 errors)", async () => {
    installed()
    writeFileSync(join(scratch, "consumer.ts"), CONSUMER_TS)
    writeFileSync(join(scratch, "workers-types.d.ts"), WORKERS_TYPES_D_TS)
    writeFileSync(join(scratch, "tsconfig.json"), tsconfig(TOOLS.typeRoots))
    const ran = await run(process.execPath, [TOOLS.tsc, "-p", "tsconfig.json"], scratch, 120_000)
    assert.strictEqual(ran.code, 0, explain("tsc", ran))
    assert.strictEqual(ran.stdout.trim(), "")
  }, 150_000)

  it("runs npx reprise --help", async () => {
    installed()
    const ran = await run("npx", ["--offline", "reprise", "--help"], scratch, 60_000)
    assert.strictEqual(ran.code, 0, explain("npx reprise --help", ran))
    assert.include(ran.stdout, "reprise init")
    assert.include(ran.stdout, "reprise dev <functions-file>")
  }, 90_000)

  it("runs a consumer file under the real deno", async () => {
    installed()
    writeFileSync(join(scratch, "deno-consumer.ts"), DENO_TS)
    const kv = join(scratch, "deno.kv")
    const db = join(scratch, "deno-sqlite", "reprise.db")
    const ran = await run(TOOLS.deno, ["run", "-A", "--unstable-kv", "--cached-only", "--no-lock", "deno-consumer.ts", kv, db], scratch, 120_000)
    assert.strictEqual(ran.code, 0, explain("deno run", ran))
    const out = JSON.parse(ran.stdout.trim().split("\n").at(-1)!) as { tested: unknown; served: unknown; onSqlite: unknown }
    assert.deepStrictEqual(out.tested, ["SUCCEEDED", "Hello, test!"])
    assert.deepStrictEqual(out.served, ["SUCCEEDED", "Hello, Deno!"])
    assert.deepStrictEqual(out.onSqlite, ["SUCCEEDED", "Hello, Deno!"])
    assert.isTrue(existsSync(db), "the SQLite file was written")
  }, 150_000)
})

describe("reprise init, from the installed package", () => {
  const init = async (target: string) => {
    installed()
    const ran = await run("npx", ["--offline", "reprise", "init", `app-${target}`, "--target", target], scratch, 60_000)
    assert.strictEqual(ran.code, 0, explain(`reprise init --target ${target}`, ran))
    const app = join(scratch, `app-${target}`) // inside the scratch project: its node_modules holds reprise
    // The scratch project installed reprise from its tarball: the new project names the same one (reprise is not
    // on the registry yet, and `npm install` there found no reprise), relative to itself.
    const manifest = JSON.parse(readFileSync(join(app, "package.json"), "utf8")) as { dependencies: Record<string, string> }
    assert.strictEqual(manifest.dependencies["reprise"], `file:../${tarball}`)
    const tested = await npm(["test"], app, 120_000)
    assert.strictEqual(tested.code, 0, explain(`npm test in the ${target} project`, tested))
    return app
  }

  /** Runs `npm <args>` in `app` until it prints `ready`, runs the function over HTTP, then stops npm and its children. */
  const serveAndCall = async (app: string, args: ReadonlyArray<string>, ready: string, port: string) => {
    const child = spawn("npm", args, { cwd: app, env: userEnv({ PORT: port }), stdio: ["ignore", "pipe", "pipe"], detached: true })
    const stop = () => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve()
      child.once("close", () => resolve())
      process.kill(-child.pid!, "SIGTERM") // the process group: npm and the node processes under it
    })
    cleanups.push(stop)
    let output = ""
    child.stdout.on("data", (chunk) => void (output += String(chunk)))
    child.stderr.on("data", (chunk) => void (output += String(chunk)))
    const deadline = Date.now() + 30_000
    while (!output.includes(ready)) {
      assert.isBelow(Date.now(), deadline, `npm ${args.join(" ")} did not serve within 30 s: ${output}`)
      assert.isNull(child.exitCode, `npm ${args.join(" ")} exited: ${output}`)
      await sleep(50)
    }
    const res = await fetch(`http://127.0.0.1:${port}/v1/functions/greet/executions?wait=15`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ input: { name: "Ada" } })
    })
    const body = await res.json() as { status: string; result: unknown }
    await stop()
    assert.strictEqual(body.status, "SUCCEEDED", JSON.stringify(body))
    assert.deepStrictEqual(body.result, { greeting: "Hello, Ada!", shouted: "HELLO, ADA!" })
  }

  it("node: npm test passes; npm start and npm run dev (reprise dev) serve the function", async () => {
    const app = await init("node")
    // Below Linux's ephemeral ports (32768 up), which the suite's own outgoing connections take: 35414 was once in
    // use by one of them when `reprise dev` bound it.
    const port = 20_000 + Math.floor(Math.random() * 12_000)
    await serveAndCall(app, ["start"], "Reprise is serving", String(port))
    assert.isTrue(existsSync(join(app, "reprise.db")))
    await serveAndCall(app, ["run", "dev", "--", "--port", String(port + 1)], "reprise dev: serving", String(port + 1))
  }, 180_000)

  it("workers: npm test passes, its types generate and check, wrangler's dry run bundles the Worker, which serves the function in workerd", async () => {
    const app = await init("workers")
    // npm run cf-typegen (wrangler types), then the project's own tsconfig (Node's types from the repo: the scratch
    // project installs only what its package.json names, offline).
    const typed = await run(process.execPath, [TOOLS.wrangler, "types"], app, 120_000, userEnv({ CI: "true" }))
    assert.strictEqual(typed.code, 0, explain("wrangler types", typed))
    assert.match(readFileSync(join(app, "worker-configuration.d.ts"), "utf8"), /EXECUTIONS: DurableObjectNamespace/)
    // User code sees the runtime's module and the bindings' types (an error here if tsconfig left the file out).
    writeFileSync(join(app, "src", "typed.ts"), 'import type { DurableObject } from "cloudflare:workers"\nexport type Bindings = Env\nexport type Base = DurableObject\n')
    const checked = await run(process.execPath, [TOOLS.tsc, "-p", "tsconfig.json", "--typeRoots", TOOLS.typeRoots], app, 120_000)
    assert.strictEqual(checked.code, 0, explain("tsc in the workers project", checked))
    const out = join(scratch, "workers-bundle")
    mkdirSync(out)
    const built = await run(process.execPath, [TOOLS.wrangler, "deploy", "--dry-run", "--outdir", out], app, 120_000, userEnv({ CI: "true" }))
    assert.strictEqual(built.code, 0, explain("wrangler deploy --dry-run", built))
    const scriptPath = join(out, "worker.js")
    assert.isAbove(statSync(scriptPath).size, 0)
    const mf = startMiniflare({ scriptPath })
    cleanups.push(() => mf.dispose())
    const api = client(mf)
    assert.strictEqual((await api.request("GET", "/healthz", { anonymous: true })).status, 200)
    const started = await api.start("greet", { name: "Workers" }, { wait: 15 })
    assert.strictEqual(started.body.status, "SUCCEEDED", JSON.stringify(started.body))
    assert.deepStrictEqual(started.body.result, { greeting: "Hello, Workers!", shouted: "HELLO, WORKERS!" })
  }, 240_000)

  it("lambda: npm test passes and the handler module loads", async () => {
    const app = await init("lambda")
    const ran = await run(process.execPath, ["--input-type=module", "-e", "const m = await import('./src/handler.ts'); console.log(typeof m.handler)"], app, 60_000)
    assert.strictEqual(ran.code, 0, explain("import src/handler.ts", ran))
    assert.strictEqual(ran.stdout.trim(), "function")
  }, 180_000)
})
