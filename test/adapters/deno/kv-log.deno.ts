/** A log's last event read from its last key alone (kv-log.ts `readLastRawEvent`), also when that key is a segment. */
import { deno } from "../../../adapters/deno/deno-api.ts"
import { planBatch, readLastRawEvent, stageSegment, writeBatch } from "../../../adapters/deno/kv-log.ts"
import { assert, Deno } from "./deno-test-api.ts"

Deno.test({
  name: "reads a log's last event from a plain key and from a segment",
  fn: async () => {
    const kv = await deno().openKv(":memory:")
    try {
      const events = (from: number, count: number) => Array.from({ length: count }, (_, i) => ({ seq: from + i, text: "x".repeat(200) }))
      const direct = planBatch(events(1, 2), 64)
      assert.equal(direct._tag, "Direct")
      const op = kv.atomic()
      writeBatch(op, "e", "g1", 1, direct, undefined)
      await op.commit()
      assert.deepEqual(await readLastRawEvent(kv, "e", "g1", 2), events(1, 2)[1])
      const big = planBatch(events(3, 2000), 64) // too many for one operation: a segment
      assert.equal(big._tag, "Segment")
      if (big._tag !== "Segment") return
      const pointer = await stageSegment(kv, "e", "g1", 3, big)
      const op2 = kv.atomic()
      writeBatch(op2, "e", "g1", 3, big, pointer)
      await op2.commit()
      assert.deepEqual(await readLastRawEvent(kv, "e", "g1", 2002), events(3, 2000)[1999])
      assert.deepEqual(await readLastRawEvent(kv, "e", "g1", 2), events(1, 2)[1], "keys past the head's seq are not read")
      assert.equal(await readLastRawEvent(kv, "none", "g1", 1), undefined)
    } finally {
      kv.close()
    }
  }
})
