#!/usr/bin/env node
/**
 * The `reprise` command. package.json "bin" points at its build (dist/adapters/node/cli/bin.js); in this repo
 * `npm run reprise` runs this source on Node's type stripping.
 *
 * It first checks the Node it runs on against "engines" in reprise's package.json (where the requirement is stated,
 * once): an older Node gets one line saying what to install, rather than a missing `node:sqlite` or type stripping
 * deep inside `reprise dev`. Everything else is imported only after that check.
 */
import { meetsRange, ownPackage } from "./own-package.ts"

const io = {
  out: (line: string) => void process.stdout.write(`${line}\n`),
  err: (line: string) => void process.stderr.write(`${line}\n`),
  env: process.env
}

// A reader that stops early (`reprise list | head`) closes the pipe: the command ends quietly, as a Unix tool ended by
// SIGPIPE does (Node ignores that signal), not with Node's stack for an unhandled 'error' event and exit 1.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error
    process.exit(0)
  })
}

const required = ownPackage().engines?.node
// A leading "--" ends no options of ours: it is npx's (`npx reprise -- --help` hands it on), so it goes.
const given = process.argv.slice(2)
const args = given[0] === "--" ? given.slice(1) : given

if (required !== undefined && !meetsRange(process.versions.node, required)) {
  io.err(`reprise: needs Node ${required} (for node:sqlite and TypeScript type stripping); this is Node ${process.version}. Install a current Node LTS.`)
  process.exitCode = 1
} else if (args[0] === "dev" && process.getBuiltinModule("node:sqlite") === undefined) {
  io.err(`reprise: this Node (${process.version}, ${process.execPath}) has no node:sqlite module, which reprise dev needs: use an official Node ${required ?? ""} build.`)
  process.exitCode = 1
} else if (args[0] === "init") {
  const { init } = await import("./init.ts")
  process.exitCode = await init(args.slice(1), io)
} else {
  const { run } = await import("./main.ts")
  process.exitCode = await run(args, io)
}
