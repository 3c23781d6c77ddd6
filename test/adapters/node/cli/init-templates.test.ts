/**
 * The starter's own test (what `reprise init` writes): run with Node's test runner over the starter's function,
 * as `npm test` in a new project runs it, and over the same function broken, where it must say why.
 */
import { assert, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { templates } from "../../../../adapters/node/cli/init-templates.ts"

// Inside the repo, so that the starter's `import … from "reprise/testing"` resolves to this package.
const repo = fileURLToPath(new URL("../../../../", import.meta.url))

const runStarterTest = (change: (functions: string) => string): { ok: boolean; output: string } => {
  const dir = mkdtempSync(join(repo, "test", ".starter-"))
  try {
    for (const [path, text] of Object.entries(templates({ name: "my-app", target: "node", repriseVersion: "0.0.0", nodeRange: undefined }))) {
      if (!path.startsWith("src/") && !path.startsWith("test/")) continue
      mkdirSync(dirname(join(dir, path)), { recursive: true })
      writeFileSync(join(dir, path), path === "src/functions.ts" ? change(text) : text)
    }
    const run = spawnSync(process.execPath, ["--conditions=reprise-source", "--test", "test/functions.test.ts"], { cwd: dir, encoding: "utf8", timeout: 60_000 })
    return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe("the starter's test", () => {
  it("passes on the starter's function, and on a broken one fails with the execution's status, error and cause", () => {
    const passed = runStarterTest((text) => text)
    assert.isTrue(passed.ok, passed.output)
    const failed = runStarterTest((text) => text.replace("greeting.toUpperCase()", "greeting.toLocaleUpperCase(\"no-such-locale-tag-!\")"))
    assert.isFalse(failed.ok, failed.output)
    assert.include(failed.output, "Execution greet-1 is FAILED, not SUCCEEDED: StepError", failed.output)
    assert.include(failed.output, "caused by RangeError", failed.output)
  })
})
