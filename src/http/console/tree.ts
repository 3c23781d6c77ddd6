/**
 * The operation tree, shared by the console (timeline, operation tree) and the CLI (`reprise get`): operations in
 * tree order with their depth, and the name each is shown under.
 */
import type { OperationJson } from "../views.ts"

export interface TreeRow {
  readonly op: OperationJson
  readonly depth: number
  /** The name it is shown under (displayName). */
  readonly name: string
}

/** Operations in tree order (each followed by its children, in log order), with their depth. */
export const treeRows = (operations: ReadonlyArray<OperationJson>): Array<TreeRow> => {
  const byId = new Map(operations.map((op) => [op.id, op]))
  const children = new Map<string | undefined, Array<OperationJson>>()
  for (const op of operations) {
    const parent = op.parentId !== undefined && byId.has(op.parentId) ? op.parentId : undefined
    const list = children.get(parent) ?? []
    list.push(op)
    children.set(parent, list)
  }
  const rows: Array<TreeRow> = []
  const visit = (parent: string | undefined, depth: number) => {
    for (const op of children.get(parent) ?? []) {
      rows.push({ op, depth, name: displayName(op, parent === undefined ? undefined : byId.get(parent)) })
      visit(op.id, depth + 1)
    }
  }
  visit(undefined, 0)
  return rows
}

/** What waitForCallback's own (unnamed) operations do: they are shown under these names. */
const WAIT_FOR_CALLBACK_PARTS: Readonly<Record<string, string>> = { CALLBACK: "callback", STEP: "submitter" }

/**
 * The name an operation is shown under: its own, else for the unnamed callback and submitter step inside a
 * waitForCallback "<its name> callback" / "<its name> submitter", else its subtype.
 */
export const displayName = (
  op: { readonly name?: string | undefined; readonly type: string; readonly subType: string },
  parent: { readonly name?: string | undefined; readonly subType: string } | undefined
): string => {
  if (op.name !== undefined) return op.name
  const part = WAIT_FOR_CALLBACK_PARTS[op.type]
  if (part !== undefined && parent?.subType === "WaitForCallback") return `${parent.name ?? "waitForCallback"} ${part}`
  return op.subType
}
