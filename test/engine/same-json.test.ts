import { assert, describe, it } from "@effect/vitest"
import { sameJson } from "../../src/engine/same-json.ts"

describe("sameJson", () => {
  it("compares JSON texts as values: members in any order, arrays in order, numbers by value", () => {
    assert.isTrue(sameJson('{"a":1,"b":{"c":[1,2]}}', '{"b":{"c":[1.0,2]},"a":1}'))
    assert.isTrue(sameJson(undefined, undefined))
    assert.isFalse(sameJson('{"a":[1,2]}', '{"a":[2,1]}'))
    assert.isFalse(sameJson('{"a":1}', '{"a":1,"b":null}'))
    assert.isFalse(sameJson('{"a":null}', '{"b":null}'))
    assert.isFalse(sameJson("1", undefined))
    assert.isFalse(sameJson('"1"', "1"))
    assert.isFalse(sameJson("[]", "{}"))
  })

  it("counts texts that are not JSON equal only when identical", () => {
    assert.isTrue(sameJson("not json", "not json"))
    assert.isFalse(sameJson("not json", "not  json"))
  })
})
