/**
 * The import rules of the repository, as a pure function over source texts (so that a test can check the rules on
 * a small in-memory example as well as on the repository). Specifiers are read with a real parser (oxc, through
 * Vite's `parseSync`), so imports inside strings or comments do not count and `import type` does.
 */
import { posix } from "node:path"
import { parseSync } from "vite"

export type Rule = "core-imports-adapter" | "context-imports-engine" | "adapter-bypasses-entries"

export interface Violation {
  readonly file: string
  readonly specifier: string
  readonly rule: Rule
}

/** Every module specifier of a TypeScript file: imports, re-exports, dynamic imports and `import("…")` types. */
export const specifiersOf = (file: string, source: string): ReadonlyArray<string> => {
  const parsed = parseSync(file, source)
  if (parsed.errors.length > 0) throw new Error(`${file}: ${parsed.errors[0]!.message}`)
  const found: Array<string> = []
  const literal = (node: unknown) => {
    if (isNode(node) && node.type === "Literal" && typeof node.value === "string") found.push(node.value)
    else if (isNode(node) && node.type === "TSLiteralType") literal(node.literal)
  }
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit)
    if (!isNode(node)) return
    switch (node.type) {
      case "ImportDeclaration":
      case "ExportNamedDeclaration":
      case "ExportAllDeclaration":
      case "ImportExpression":
        literal(node.source)
        break
      case "TSImportType":
        literal(node.source ?? node.argument)
        break
    }
    for (const key in node) if (key !== "type") visit(node[key])
  }
  visit(parsed.program)
  return found
}

const isNode = (value: unknown): value is Record<string, unknown> & { readonly type: string } =>
  typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string"

/**
 * The repository path a specifier names: relative ones from the importing file, the package's own name through its
 * "exports" map (e.g. "reprise/store" to "src/store/index.ts"); undefined for anything else (effect, node:, …).
 */
/** package.json "exports": a path per entry, or conditions with the source under "reprise-source". */
export type ExportsMap = Readonly<Record<string, string | Readonly<Record<string, string>>>>

export const targetOf = (
  file: string,
  specifier: string,
  packageName: string,
  exportsMap: ExportsMap
): string | undefined => {
  if (specifier.startsWith("./") || specifier.startsWith("../")) return posix.join(posix.dirname(file), specifier)
  if (specifier !== packageName && !specifier.startsWith(`${packageName}/`)) return undefined
  const entry = exportsMap[`.${specifier.slice(packageName.length)}`]
  // An entry with conditions names its source under "reprise-source" (the build under "import").
  const target = typeof entry === "string" ? entry : entry?.["reprise-source"]
  return target === undefined ? undefined : posix.normalize(target)
}

const under = (path: string, dir: string) => path.startsWith(`${dir}/`)

/** Checks every file (repository paths, e.g. "adapters/node/serve.ts") against the three rules. */
export const violationsOf = (
  files: ReadonlyMap<string, string>,
  packageName: string,
  exportsMap: ExportsMap
): ReadonlyArray<Violation> => {
  const violations: Array<Violation> = []
  for (const [file, source] of files) {
    for (const specifier of specifiersOf(file, source)) {
      const target = targetOf(file, specifier, packageName, exportsMap)
      if (target === undefined) continue
      const relative = specifier.startsWith(".")
      if (under(file, "src") && under(target, "adapters")) violations.push({ file, specifier, rule: "core-imports-adapter" })
      if (under(file, "src/context") && under(target, "src/engine")) violations.push({ file, specifier, rule: "context-imports-engine" })
      if (under(file, "adapters") && relative && under(target, "src")) violations.push({ file, specifier, rule: "adapter-bypasses-entries" })
    }
  }
  return violations
}
