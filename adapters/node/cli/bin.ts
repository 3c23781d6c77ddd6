#!/usr/bin/env node
/** The `reprise` command (package.json "bin"). Runs on Node 24, which runs TypeScript by stripping types. */
import { run } from "./main.ts"

process.exitCode = await run(process.argv.slice(2), {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
  env: process.env
})
