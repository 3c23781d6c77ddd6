import { assert, describe, it } from "@effect/vitest"
import { childId, contextKey, positionOf } from "../../src/log/operation-id.ts"

describe("operation ids", () => {
  it("childId numbers root operations \"1\", \"2\" … and children \"<parent>-<n>\"", () => {
    assert.strictEqual(childId(undefined, 1), "1")
    assert.strictEqual(childId(undefined, 12), "12")
    assert.strictEqual(childId("2", 1), "2-1")
    assert.strictEqual(childId("2-3", 4), "2-3-4")
  })

  it("positionOf reads the number after the last dash, or the whole id at the root", () => {
    assert.strictEqual(positionOf("1"), 1)
    assert.strictEqual(positionOf("12"), 12)
    assert.strictEqual(positionOf("2-1"), 1)
    assert.strictEqual(positionOf("2-3-14"), 14)
  })

  it("positionOf inverts childId", () => {
    for (const parent of [undefined, "7", "7-2"]) {
      for (const n of [1, 9, 10, 123]) assert.strictEqual(positionOf(childId(parent, n)), n)
    }
  })

  it("contextKey is \"\" for the root and the parent id otherwise", () => {
    assert.strictEqual(contextKey(undefined), "")
    assert.strictEqual(contextKey("2"), "2")
    assert.strictEqual(contextKey("2-1"), "2-1")
  })
})
