import { Schema, Exit, Cause } from "effect"
const Q = Schema.Struct({ wait: Schema.optionalKey(Schema.FiniteFromString.check(Schema.isBetween({ minimum: 0, maximum: 60 }))) })
for (const v of [{}, { wait: "5" }, { wait: "" }, { wait: " 7 " }, { wait: "1e1" }, { wait: "abc" }, { wait: "61" }, { wait: "0x10" }]) {
  const r = Schema.decodeUnknownExit(Q)(v)
  console.log(JSON.stringify(v), Exit.isSuccess(r) ? JSON.stringify(r.value) : (Cause.squash(r.cause) as any).message)
}
const B = Schema.Struct({ input: Schema.optionalKey(Schema.Unknown), executionName: Schema.optionalKey(Schema.String) })
const r = Schema.decodeUnknownExit(B)({ inputs: 1 }, { onExcessProperty: "error" })
console.log(Exit.isSuccess(r) ? r.value : (Cause.squash(r.cause) as any).message)
const r2 = Schema.decodeUnknownExit(B)({ executionName: 5 }, { onExcessProperty: "error" })
console.log(Exit.isSuccess(r2) ? r2.value : String((Cause.squash(r2.cause) as any)))
const J = Schema.decodeUnknownExit(Schema.fromJsonString(Schema.Unknown))
const r3 = J("{bad")
console.log(Exit.isSuccess(r3) ? r3.value : (Cause.squash(r3.cause) as any).message)
console.log(Exit.isSuccess(r3) ? "" : Cause.findErrorOption ? "has findErrorOption" : "")
