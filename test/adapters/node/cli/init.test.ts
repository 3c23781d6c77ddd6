/**
 * What `reprise init` names as its reprise dependency: where it runs in a project that installed reprise from a
 * tarball, the same tarball, relative to the new project (reprise is not on the registry yet: `npm install` in the
 * new project found none). The whole scaffold is run from the packed package in test/package.
 */
import { assert, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { tarballSpec } from "../../../../adapters/node/cli/init.ts"

const inProject = (manifest: string | undefined, check: (dir: string) => void) => {
  const dir = mkdtempSync(join(tmpdir(), "reprise-init-"))
  try {
    if (manifest !== undefined) writeFileSync(join(dir, "package.json"), manifest)
    check(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe("reprise init's dependency on reprise", () => {
  it("names the tarball the project it runs in installed, relative to the new project", () => {
    inProject(JSON.stringify({ dependencies: { reprise: "file:../dist/reprise-0.1.0.tgz" } }), (dir) => {
      assert.strictEqual(tarballSpec(dir, join(dir, "apps", "my-app")), "file:../../../dist/reprise-0.1.0.tgz")
      assert.strictEqual(tarballSpec(dir, join(dir, "my-app")), "file:../../dist/reprise-0.1.0.tgz")
    })
    inProject(JSON.stringify({ devDependencies: { reprise: "file:reprise-0.1.0.tgz" } }), (dir) => {
      assert.strictEqual(tarballSpec(dir, join(dir, "my-app")), "file:../reprise-0.1.0.tgz")
    })
  })

  it("leaves it to the registry's version otherwise: a registry range, no package.json, or one that does not parse", () => {
    inProject(JSON.stringify({ dependencies: { reprise: "^0.1.0" } }), (dir) => assert.isUndefined(tarballSpec(dir, join(dir, "a"))))
    inProject(undefined, (dir) => assert.isUndefined(tarballSpec(dir, join(dir, "a"))))
    inProject("{ not json", (dir) => assert.isUndefined(tarballSpec(dir, join(dir, "a"))))
  })
})
