/**
 * What signing a callback id costs: `signedCallbackIds` (synchronous HMAC-SHA256 of @noble/hashes) beside the same
 * HMAC through WebCrypto's `crypto.subtle` (what it used before), one id at a time as the engine does, in this
 * process. Prints a table of the median per id (wall and CPU) over rounds. Not part of `npm test`.
 *   npm run bench:callback-ids [-- --ids=2000 --rounds=5]
 */
import { Effect } from "effect"
import { Base64Url } from "effect/encoding"
import { plainCallbackIds } from "../src/engine/index.ts"
import { signedCallbackIds } from "../src/http/signed-callback-ids.ts"

const option = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback
const IDS = Number(option("ids", "2000"))
const ROUNDS = Number(option("rounds", "5"))
const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const encoder = new TextEncoder()
const secret = "a-secret-for-the-bench"
const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"])
const webCrypto = {
  sign: async (id: string) => `${id}.${Base64Url.encode(new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(id))))}`,
  verify: async (signed: string) => {
    const dot = signed.lastIndexOf(".")
    const signature = Base64Url.decode(signed.slice(dot + 1))
    if (signature._tag === "Failure") return false
    return crypto.subtle.verify("HMAC", key, new Uint8Array(signature.success), encoder.encode(signed.slice(0, dot)))
  }
}
const codec = signedCallbackIds(secret)
const refs = Array.from({ length: IDS }, (_, i) => ({ executionId: `execution-${i}`, operationId: `op-${i}`, token: i.toString(16).padStart(32, "0") }))
const inner = await Promise.all(refs.map((ref) => Effect.runPromise(plainCallbackIds.encode(ref))))

/** Runs `one` for every id in turn; us per id, wall and CPU. */
const measure = async (one: (i: number) => Promise<unknown>) => {
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  for (let i = 0; i < IDS; i++) await one(i)
  const cpu = process.cpuUsage(cpu0)
  return { wall: ((performance.now() - t0) * 1000) / IDS, cpu: (cpu.user + cpu.system) / IDS }
}

const cases = {
  "sign (encode), @noble/hashes": (i: number) => Effect.runPromise(codec.encode(refs[i]!)),
  "sign, crypto.subtle": (i: number) => webCrypto.sign(inner[i]!),
  "verify (decode), @noble/hashes": (i: number) => Effect.runPromise(codec.decode(signedIds[i]!)),
  "verify, crypto.subtle": (i: number) => webCrypto.verify(signedIds[i]!)
}
const signedIds = await Promise.all(refs.map((ref) => Effect.runPromise(codec.encode(ref))))
for (const one of Object.values(cases)) await measure(one) // warm-up
const samples = new Map<string, Array<{ wall: number; cpu: number }>>()
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, one] of Object.entries(cases)) samples.set(name, [...(samples.get(name) ?? []), await measure(one)])
}
console.table([...samples].map(([name, xs]) => ({
  case: name,
  "us per id": median(xs.map((x) => x.wall)).toFixed(1),
  "CPU us per id": median(xs.map((x) => x.cpu)).toFixed(1)
})))
