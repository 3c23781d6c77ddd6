/**
 * Reprise's own package.json, found from this file upwards: adapters/node/cli/ in the repo, dist/adapters/node/cli/
 * in the installed package. The CLI reads its version and its Node requirement ("engines") from there, so they are
 * stated in one place.
 */
import { existsSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

export interface OwnPackage {
  readonly name: string
  readonly version: string
  readonly engines?: { readonly node?: string }
}

const MAX_LEVELS = 6

export const ownPackage = (): OwnPackage => {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let level = 0; level < MAX_LEVELS; level++) {
    const file = join(dir, "package.json")
    if (existsSync(file)) {
      const json = JSON.parse(readFileSync(file, "utf8")) as OwnPackage
      if (json.name === "reprise") return json
    }
    dir = dirname(dir)
  }
  throw new Error("reprise: cannot find reprise's own package.json")
}

/** Whether `version` (such as process.versions.node) meets a `>=X.Y.Z` range; other range forms are not checked. */
export const meetsRange = (version: string, range: string): boolean => {
  const wanted = /^>=\s*v?(\d+)\.(\d+)\.(\d+)$/.exec(range.trim())
  if (wanted === null) return true
  const have = version.replace(/^v/, "").split(".").map((part) => Number.parseInt(part, 10))
  for (let i = 0; i < 3; i++) {
    const a = have[i] ?? 0
    const b = Number(wanted[i + 1])
    if (a !== b) return a > b
  }
  return true
}
