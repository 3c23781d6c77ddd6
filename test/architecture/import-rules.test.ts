/**
 * The layering of the repository, checked on every .ts file under src/ and adapters/:
 * - the core (src/) never imports an adapter;
 * - the user API (src/context) never imports the engine (src/engine): the engine depends on it, through the Session
 *   port, not the other way round;
 * - an adapter imports the core only through the package's entries ("reprise", "reprise/store", …, resolved by the
 *   package's self-reference), never by a relative path into src/, so that a third party can write one the same way.
 */
import { readdirSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { type ExportsMap, specifiersOf, violationsOf } from "./import-graph.ts"

const root = fileURLToPath(new URL("../../", import.meta.url))
const pkg = JSON.parse(readFileSync(`${root}package.json`, "utf8")) as { name: string; exports: ExportsMap }

const sources = (): Map<string, string> => {
  const files = new Map<string, string>()
  for (const dir of ["src", "adapters"]) {
    for (const name of readdirSync(`${root}${dir}`, { recursive: true, encoding: "utf8" })) {
      if (name.endsWith(".ts")) files.set(`${dir}/${name.split("\\").join("/")}`, readFileSync(`${root}${dir}/${name}`, "utf8"))
    }
  }
  return files
}

const show = (violations: ReadonlyArray<{ file: string; specifier: string; rule: string }>) =>
  violations.map((v) => `${v.file} imports "${v.specifier}" (${v.rule})`).join("\n")

describe("import rules", () => {
  it("the repository keeps them", () => {
    const files = sources()
    assert.isAbove(files.size, 100, "the scan found too few files")
    assert.strictEqual(show(violationsOf(files, pkg.name, pkg.exports)), "", "import-rule violations")
  })

  it("catches each rule on a small example", () => {
    const example = new Map([
      ["src/engine/engine.ts", `import { serve } from "../../adapters/node/serve.ts"\nimport type { Session } from "../context/session.ts"`],
      ["src/store/index.ts", `export { openSqliteStore } from "reprise/node"`],
      ["src/context/step.ts", `import type { Session } from "../engine/session.ts"\nimport { durable } from "./types.ts"`],
      ["src/context/wait.ts", `export type { Engine } from "reprise/engine"`],
      ["adapters/node/sqlite-store.ts", `import { decodeLog } from "../../src/log/decode-log.ts"\nimport { checkAppend } from "reprise/store"`],
      ["adapters/deno/kv-store.ts", `const lazy = () => import("../../src/store/index.ts")\nconst text = "import '../../src/x.ts'" // import "../../src/y.ts"`],
      ["adapters/lambda/invocation-store.ts", `import { Effect } from "effect"\nimport { batchUpdates } from "./checkpoint-batches.ts"\nimport type { LogEvent } from "reprise"`]
    ])
    const exportsMap = { ".": "./src/index.ts", "./engine": "./src/engine/index.ts", "./store": "./src/store/index.ts", "./node": "./adapters/node/index.ts" }
    const found = violationsOf(example, "reprise", exportsMap).map((v) => `${v.rule} ${v.file} ${v.specifier}`)
    assert.deepStrictEqual(found, [
      "core-imports-adapter src/engine/engine.ts ../../adapters/node/serve.ts",
      "core-imports-adapter src/store/index.ts reprise/node",
      "context-imports-engine src/context/step.ts ../engine/session.ts",
      "context-imports-engine src/context/wait.ts reprise/engine",
      "adapter-bypasses-entries adapters/node/sqlite-store.ts ../../src/log/decode-log.ts",
      "adapter-bypasses-entries adapters/deno/kv-store.ts ../../src/store/index.ts"
    ])
  })

  it("reads type-only imports, re-exports and import types, not strings or comments", () => {
    const source = [
      `import type { A } from "./a.ts"`,
      `export * from "./b.ts"`,
      `export { c } from "./c.ts"`,
      `type D = typeof import("./d.ts")`,
      `const e = "import { x } from './not-e.ts'"`,
      `// import { y } from "./not-f.ts"`
    ].join("\n")
    assert.deepStrictEqual(specifiersOf("adapters/x.ts", source), ["./a.ts", "./b.ts", "./c.ts", "./d.ts"])
  })
})
