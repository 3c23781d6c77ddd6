/**
 * Positional operation ids: "1", "2" … at the root, "<parent>-1", "<parent>-2" … inside a child context.
 * Ids are assigned at call time, so they depend only on the order in which operations are created.
 */
export const childId = (parentId: string | undefined, counter: number): string =>
  parentId === undefined ? String(counter) : `${parentId}-${counter}`

/** The position of an id within its context: the number after the last dash. */
export const positionOf = (id: string): number => {
  const dash = id.lastIndexOf("-")
  return Number(dash < 0 ? id : id.slice(dash + 1))
}

/** The key under which a context's children are counted; the root is "". */
export const contextKey = (parentId: string | undefined): string => parentId ?? ""

/** The top-level operation an id belongs to: "3" for "3", "3-2" and "3-2-1". */
export const topLevelId = (id: string): string => {
  const dash = id.indexOf("-")
  return dash < 0 ? id : id.slice(0, dash)
}
