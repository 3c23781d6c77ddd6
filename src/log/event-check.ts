/**
 * A fast check of an event against the LogEvent schema, compiled once from the schema's own AST (the schema stays
 * the one definition). Encoding every event with Schema on its way into a store was ~7% of the engine's CPU per
 * step (issue 13): the parser runs each property through its Effect machinery. This walks the same nodes with plain
 * code and runs the schema's own filters (lengths, integers, finite numbers).
 *
 * `true` means the schema would encode the event to an equal object: it is valid and holds no key the schema does
 * not know (the schema would drop it), so the event is its own encoded form. `false` means anything else, and the
 * caller runs the schema itself for its verdict and its message. A node kind this does not know (a transformation,
 * an index signature) leaves that member to the schema every time.
 */
import type { SchemaAST } from "effect"

type Check = (value: unknown) => boolean

interface FilterLike {
  readonly _tag: string
  readonly checks?: ReadonlyArray<FilterLike>
  readonly run?: (value: unknown, ast: SchemaAST.AST, options: object) => unknown
}

const NO_OPTIONS = {}

const passes = (checks: ReadonlyArray<FilterLike>, value: unknown, ast: SchemaAST.AST): boolean => {
  for (const check of checks) {
    if (check._tag === "FilterGroup") {
      if (!passes(check.checks ?? [], value, ast)) return false
    } else if (check.run === undefined || check.run(value, ast, NO_OPTIONS)) return false
  }
  return true
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** The check of one node, or undefined when the node is of a kind this does not handle. */
export const compileCheck = (ast: SchemaAST.AST): Check | undefined => {
  const node = ast as SchemaAST.AST & { readonly encoding?: unknown; readonly checks?: ReadonlyArray<FilterLike> }
  if (node.encoding !== undefined) return undefined
  const base = baseCheck(ast)
  if (base === undefined) return undefined
  const checks = node.checks
  if (checks === undefined || checks.length === 0) return base
  return (value) => base(value) && passes(checks, value, ast)
}

const baseCheck = (ast: SchemaAST.AST): Check | undefined => {
  switch (ast._tag) {
    case "Literal": {
      const literal = ast.literal
      return (value) => value === literal
    }
    case "String":
      return (value) => typeof value === "string"
    case "Number":
      return (value) => typeof value === "number"
    case "Boolean":
      return (value) => typeof value === "boolean"
    case "Arrays": {
      if (ast.elements.length !== 0 || ast.rest.length !== 1) return undefined
      const item = compileCheck(ast.rest[0]!)
      if (item === undefined) return undefined
      return (value) => Array.isArray(value) && value.every(item)
    }
    case "Union": {
      // A union of literals (the operation types): one set lookup.
      if (ast.types.every((type) => type._tag === "Literal" && (type as { checks?: ReadonlyArray<unknown> }).checks === undefined)) {
        const literals = new Set(ast.types.map((type) => (type as SchemaAST.Literal).literal))
        return (value) => literals.has(value as SchemaAST.Literal["literal"])
      }
      const members: Array<Check> = []
      for (const type of ast.types) {
        const member = compileCheck(type)
        if (member === undefined) return undefined
        members.push(member)
      }
      return (value) => members.some((member) => member(value))
    }
    case "Objects": {
      if (ast.indexSignatures.length !== 0) return undefined
      const properties: Array<{ readonly name: string; readonly optional: boolean; readonly check: Check }> = []
      for (const property of ast.propertySignatures) {
        const check = compileCheck(property.type)
        if (check === undefined || typeof property.name !== "string") return undefined
        properties.push({ name: property.name, optional: property.type.context?.isOptional === true, check })
      }
      return (value) => {
        if (!isRecord(value)) return false
        let present = 0
        for (const { name, optional, check } of properties) {
          if (!Object.hasOwn(value, name)) {
            if (optional) continue
            return false
          }
          present++
          if (!check(value[name])) return false
        }
        // As many own keys as known ones present: no key the schema does not know (the schema would drop it).
        let keys = 0
        for (const key in value) if (Object.hasOwn(value, key)) keys++
        return keys === present
      }
    }
    default:
      return undefined
  }
}

/**
 * The check of a union of tagged structs, by `_tag`: the member's check, or a check that always says "ask the
 * schema" for a tag it does not know or a member it cannot compile.
 */
export const compileTaggedUnionCheck = (ast: SchemaAST.AST): Check => {
  const byTag = new Map<unknown, Check>()
  if (ast._tag === "Union") {
    for (const member of ast.types) {
      if (member._tag !== "Objects") continue
      const tag = member.propertySignatures.find((property) => property.name === "_tag")?.type
      const check = compileCheck(member)
      if (tag?._tag === "Literal" && check !== undefined) byTag.set(tag.literal, check)
    }
  }
  return (value) => {
    if (!isRecord(value)) return false
    const check = byTag.get(value["_tag"])
    return check !== undefined && check(value)
  }
}
