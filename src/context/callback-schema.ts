/**
 * A callback's payload Schema (`createCallback(name, { schema })`): the handler receives the decoded value, and a
 * completion whose payload does not match is refused before anything is written (the HTTP API answers 400, naming
 * the field). The check runs in the handler's process, where the Schema is: the actor asks it (Session).
 */
import { Cause, Exit, Schema } from "effect"
import type { CallbackCheck } from "./session.ts"
import type { Serdes } from "./serdes.ts"

type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string }

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, " ")

export const callbackSchema = <T>(schema: Schema.Decoder<T>) => {
  const decodeValue = Schema.decodeUnknownExit(schema)
  const decode = (payload: string | undefined): Decoded<T> => {
    let json: unknown
    if (payload !== undefined) {
      try {
        json = JSON.parse(payload)
      } catch {
        return { ok: false, reason: "The callback result is not JSON, as its schema needs" }
      }
    }
    const exit = decodeValue(json)
    if (Exit.isSuccess(exit)) return { ok: true, value: exit.value }
    const error = Cause.findErrorOption(exit.cause)
    return { ok: false, reason: `The callback result does not match its schema: ${error._tag === "Some" ? oneLine(error.value.message) : "invalid"}` }
  }
  const check: CallbackCheck = (payload) => {
    const decoded = decode(payload)
    return decoded.ok ? undefined : decoded.reason
  }
  const deserializer: Pick<Serdes<T>, "deserialize"> = {
    deserialize: async (payload) => {
      const decoded = decode(payload)
      if (!decoded.ok) throw new Error(decoded.reason)
      return decoded.value
    }
  }
  return { check, deserializer }
}
