import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { plainCallbackIds } from "../../src/engine/index.ts"
import { signedCallbackIds } from "../../src/http/signed-callback-ids.ts"

const ref = { executionId: "order-42", operationId: "2-1", token: "0123456789abcdef0123456789abcdef" }

describe("signed callback ids", () => {
  it.effect("round-trips: the inner id, a dot, and a 43-character HMAC", () =>
    Effect.gen(function*() {
      const codec = signedCallbackIds("secret-one")
      const id = yield* codec.encode(ref)
      const [inner, signature] = id.split(".")
      assert.strictEqual(inner, yield* plainCallbackIds.encode(ref))
      assert.match(signature!, /^[A-Za-z0-9_-]{43}$/)
      assert.deepStrictEqual(yield* codec.decode(id), ref)
      assert.strictEqual(yield* codec.encode(ref), id, "deterministic")
    }))

  it.effect("refuses an id signed with another secret, unsigned, or altered anywhere", () =>
    Effect.gen(function*() {
      const codec = signedCallbackIds("secret-one")
      const id = yield* codec.encode(ref)
      assert.isUndefined(yield* signedCallbackIds("secret-two").decode(id))
      const inner = id.slice(0, id.indexOf("."))
      assert.isUndefined(yield* codec.decode(inner))
      assert.isUndefined(yield* codec.decode(`${inner}.`))
      assert.isUndefined(yield* codec.decode(`.${id.slice(id.indexOf(".") + 1)}`))
      const other = yield* plainCallbackIds.encode({ ...ref, operationId: "3" })
      assert.isUndefined(yield* codec.decode(`${other}${id.slice(id.indexOf("."))}`), "a signature moved onto another id")
      for (let i = 0; i < id.length; i++) {
        if (id[i] === ".") continue
        for (const replacement of ["A", "B", "_"]) {
          if (id[i] === replacement) continue
          const altered = `${id.slice(0, i)}${replacement}${id.slice(i + 1)}`
          assert.isUndefined(yield* codec.decode(altered), `altered at ${i}`)
        }
      }
    }))

  // The signature is standard HMAC-SHA256: ids handed out when the codec signed through WebCrypto (before 0.1.x
  // switched to a synchronous HMAC) still verify, and the other way round, so an upgrade invalidates no callback.
  it.effect("signs exactly as WebCrypto's HMAC-SHA256 does", () =>
    Effect.gen(function*() {
      const secret = "secret-one"
      const inner = yield* plainCallbackIds.encode(ref)
      const key = yield* Effect.promise(() =>
        crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]))
      const mac = yield* Effect.promise(() => crypto.subtle.sign("HMAC", key, new TextEncoder().encode(inner)))
      const webCryptoId = `${inner}.${Buffer.from(mac).toString("base64url")}`
      assert.strictEqual(yield* signedCallbackIds(secret).encode(ref), webCryptoId)
      assert.deepStrictEqual(yield* signedCallbackIds(secret).decode(webCryptoId), ref)
    }))

  it("answers at once: signing and checking take no turn of the event loop", () => {
    const codec = signedCallbackIds("secret-one")
    const id = Effect.runSync(codec.encode(ref))
    assert.deepStrictEqual(Effect.runSync(codec.decode(id)), ref)
  })

  it("needs a non-empty secret", () => {
    assert.throws(() => signedCallbackIds(""), /secret/)
  })
})
