/**
 * `reprise init [folder] [--target node|workers|lambda]`: writes a new project with one durable function, its test
 * and the target's entry (see init-templates.ts), where `npm install && npm test && npm start` work at once.
 * Without --target it asks on a terminal and takes node otherwise. It never overwrites: the folder must be empty.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { basename, dirname, join, relative, resolve, sep } from "node:path"
import { createInterface } from "node:readline/promises"
import { parseArgs } from "node:util"
import type { Io } from "./main.ts"
import { ownPackage } from "./own-package.ts"
import { type Target, TARGETS, templates } from "./init-templates.ts"

export const INIT_USAGE = "reprise init [folder] [--target node|workers|lambda]   write a new project (default: this folder, node)"

const isTarget = (value: string): value is Target => (TARGETS as ReadonlyArray<string>).includes(value)

/**
 * Where `init` runs from a project that installed reprise from a tarball (`"reprise": "file:…/reprise-0.1.0.tgz"`,
 * as the README says to until it is on the registry), the new project names the same tarball, relative to itself:
 * `npm install` there then works as the Next line says (from the registry it found no reprise, 404).
 */
export const tarballSpec = (from: string, folder: string): string | undefined => {
  const manifest = join(from, "package.json")
  if (!existsSync(manifest)) return undefined
  try {
    const json = JSON.parse(readFileSync(manifest, "utf8")) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> }
    const spec = json.dependencies?.["reprise"] ?? json.devDependencies?.["reprise"]
    if (spec === undefined || !spec.startsWith("file:")) return undefined
    const target = resolve(from, spec.slice("file:".length))
    const path = relative(folder, target).split(sep).join("/")
    return `file:${path.startsWith(".") ? path : `./${path}`}`
  } catch {
    return undefined // not JSON: the registry's version, as without one
  }
}

/** npm's rules for a package name, loosely: lower case, no spaces, nothing npm would refuse. */
const packageName = (folder: string): string =>
  basename(folder).toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[._-]+/, "").slice(0, 214) || "reprise-app"

const ask = async (): Promise<Target | undefined> => {
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    const answer = (await rl.question("Run it on: 1) Node (SQLite)  2) Cloudflare Workers  3) AWS Lambda  [1] ")).trim()
    const byNumber: Record<string, Target> = { "": "node", "1": "node", "2": "workers", "3": "lambda" }
    return byNumber[answer] ?? (isTarget(answer) ? answer : undefined)
  } finally {
    rl.close()
  }
}

export const init = async (argv: ReadonlyArray<string>, io: Io): Promise<number> => {
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options: { target: { type: "string" }, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true })
  } catch (error) {
    io.err(`reprise init: ${error instanceof Error ? error.message.split("\n")[0] : String(error)} (${INIT_USAGE})`)
    return 2
  }
  const { values, positionals } = parsed
  if (values.help === true) {
    io.out(INIT_USAGE)
    return 0
  }
  if (positionals.length > 1) {
    io.err(`reprise init: one folder at most (${INIT_USAGE})`)
    return 2
  }
  const folder = resolve(positionals[0] ?? ".")
  if (existsSync(folder) && !statSync(folder).isDirectory()) {
    io.err(`reprise init: ${folder} is a file; give a folder that does not exist yet, or an empty one: reprise init <folder>`)
    return 1
  }
  if (existsSync(folder) && readdirSync(folder).length > 0) {
    io.err(`reprise init: ${folder} is not empty; give a folder that does not exist yet, or an empty one: reprise init <folder>`)
    return 1
  }
  const target = values.target ?? (process.stdin.isTTY ? await ask() : "node")
  if (target === undefined || !isTarget(target)) {
    io.err(`reprise init: the target is one of ${TARGETS.join(", ")}`)
    return 2
  }
  const own = ownPackage()
  const spec = tarballSpec(process.cwd(), folder)
  const files = templates({ name: packageName(folder), target, repriseVersion: own.version, nodeRange: own.engines?.node, ...(spec === undefined ? {} : { repriseSpec: spec }) })
  for (const [path, text] of Object.entries(files)) {
    const file = join(folder, path)
    try {
      mkdirSync(dirname(file), { recursive: true })
      writeFileSync(file, text)
    } catch (error) {
      // A parent that is a file (ENOTDIR), no permission, a full disk: one line, not a stack.
      io.err(`reprise init: cannot write ${file} (${String((error as { code?: unknown }).code ?? error)})`)
      return 1
    }
  }
  const relativeFolder = relative(process.cwd(), folder)
  const cd = /^[\w./-]*$/.test(relativeFolder) ? relativeFolder : `'${relativeFolder.replaceAll("'", "'\\''")}'`
  io.out(`Wrote a Reprise project for ${target} in ${folder}:`)
  for (const path of Object.keys(files).sort()) io.out(`  ${path}`)
  io.out("")
  io.out(`Next:${cd === "" ? "" : ` cd ${cd} &&`} npm install && npm test && npm start`)
  return 0
}
