import { assert, describe, it } from "@effect/vitest"
import { CronSyntaxError, nextTick, parseCron } from "../../src/schedule/cron.ts"
import { fromLocal, isKnownTimeZone, toLocal } from "../../src/schedule/time-zone.ts"

const at = (iso: string) => Date.parse(iso)
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString())
/** The next `count` ticks after `from`. */
const ticks = (expression: string, from: string, count: number, zone = "UTC") => {
  const spec = parseCron(expression)
  const out: Array<string | undefined> = []
  let t = at(from)
  for (let i = 0; i < count; i++) {
    const next = nextTick(spec, t, zone)
    out.push(iso(next))
    if (next === undefined) break
    t = next
  }
  return out
}

describe("cron", () => {
  it("parses ranges, steps, lists and names", () => {
    const spec = parseCron("*/15 9-17/4 1,15 JAN-mar mon-FRI")
    assert.deepStrictEqual([...spec.minutes], [0, 15, 30, 45])
    assert.deepStrictEqual([...spec.hours], [9, 13, 17])
    assert.deepStrictEqual([...spec.days], [1, 15])
    assert.deepStrictEqual([...spec.months], [1, 2, 3])
    assert.deepStrictEqual([...spec.weekdays], [1, 2, 3, 4, 5])
    assert.deepStrictEqual([...parseCron("0 0 * * 7").weekdays], [0])
    // A range of names that ends on Sunday ends on its 7, as `5-7` does.
    assert.deepStrictEqual([...parseCron("0 0 * * FRI-SUN").weekdays].sort(), [0, 5, 6])
    assert.deepStrictEqual([...parseCron("0 0 * * MON-SUN").weekdays].sort(), [0, 1, 2, 3, 4, 5, 6])
    assert.deepStrictEqual([...parseCron("5/20 * * * *").minutes], [5, 25, 45])
  })

  it("finds the next ticks", () => {
    assert.deepStrictEqual(ticks("0 0 * * *", "2026-01-01T00:00:00Z", 2), ["2026-01-02T00:00:00.000Z", "2026-01-03T00:00:00.000Z"])
    assert.deepStrictEqual(ticks("30 9 * * MON-FRI", "2026-01-02T10:00:00Z", 2), ["2026-01-05T09:30:00.000Z", "2026-01-06T09:30:00.000Z"])
    assert.deepStrictEqual(ticks("0 12 29 2 *", "2026-01-01T00:00:00Z", 1), ["2028-02-29T12:00:00.000Z"])
    assert.deepStrictEqual(ticks("@hourly", "2026-03-01T10:59:59.999Z", 1), ["2026-03-01T11:00:00.000Z"])
    assert.deepStrictEqual(ticks("0 0 31 * *", "2026-04-01T00:00:00Z", 1), ["2026-05-31T00:00:00.000Z"])
  })

  it("matches either day field when both are restricted, as Vixie cron does", () => {
    // The 13th, or any Friday.
    assert.deepStrictEqual(ticks("0 0 13 * FRI", "2026-02-01T00:00:00Z", 3), [
      "2026-02-06T00:00:00.000Z",
      "2026-02-13T00:00:00.000Z",
      "2026-02-20T00:00:00.000Z"
    ])
  })

  it("reads the wall clock of a time zone, across daylight-saving changes", () => {
    // 09:00 in Paris: 08:00Z in winter, 07:00Z in summer (clocks go forward on 2026-03-29).
    assert.deepStrictEqual(ticks("0 9 * * *", "2026-03-27T12:00:00Z", 3, "Europe/Paris"), [
      "2026-03-28T08:00:00.000Z",
      "2026-03-29T07:00:00.000Z",
      "2026-03-30T07:00:00.000Z"
    ])
    // 02:30 does not exist in New York on 2026-03-08: it runs when the gap ends, at 03:00 EDT, once.
    assert.deepStrictEqual(ticks("30 2 * * *", "2026-03-07T12:00:00Z", 2, "America/New_York"), [
      "2026-03-08T07:00:00.000Z",
      "2026-03-09T06:30:00.000Z"
    ])
    // The times of a gap tick once, when it ends (Paris skips 02:00-03:00 on 2026-03-29): not the first of them at
    // 03:00 and the others dropped, nor one shifted by the gap (02:30 at 03:30) and another not.
    assert.deepStrictEqual(ticks("*/15 2 * * *", "2026-03-28T12:00:00Z", 2, "Europe/Paris"), ["2026-03-29T01:00:00.000Z", "2026-03-30T00:00:00.000Z"])
    assert.deepStrictEqual(ticks("45 2 * * *", "2026-03-28T12:00:00Z", 1, "Europe/Paris"), ["2026-03-29T01:00:00.000Z"])
    // Lord Howe's clocks go forward half an hour (02:00 to 02:30 on 2026-10-04).
    assert.deepStrictEqual(ticks("15 2 * * *", "2026-10-03T12:00:00Z", 1, "Australia/Lord_Howe"), ["2026-10-03T15:30:00.000Z"])
    // 01:30 happens twice in New York on 2026-11-01: it runs once, at the first.
    assert.deepStrictEqual(ticks("30 1 * * *", "2026-10-31T12:00:00Z", 2, "America/New_York"), [
      "2026-11-01T05:30:00.000Z",
      "2026-11-02T06:30:00.000Z"
    ])
    // Every 30 minutes through the repeated hour: each wall-clock time once, in order.
    const fallBack = ticks("*/30 * * * *", "2026-11-01T04:45:00Z", 4, "America/New_York")
    assert.deepStrictEqual(fallBack, ["2026-11-01T05:00:00.000Z", "2026-11-01T05:30:00.000Z", "2026-11-01T07:00:00.000Z", "2026-11-01T07:30:00.000Z"])
    assert.strictEqual(toLocal(at("2026-07-01T10:00:00Z"), "Asia/Kolkata"), at("2026-07-01T15:30:00Z"))
    assert.strictEqual(fromLocal(at("2026-07-01T15:30:00Z"), "Asia/Kolkata"), at("2026-07-01T10:00:00Z"))
  })

  it("refuses what does not parse, naming the problem", () => {
    const refused = (expression: string, pattern: RegExp) => {
      assert.throws(() => parseCron(expression), CronSyntaxError)
      assert.match((() => {
        try {
          parseCron(expression)
          return ""
        } catch (error) {
          return (error as Error).message
        }
      })(), pattern)
    }
    refused("* * * *", /needs 5 fields/)
    refused("60 * * * *", /minute 60 is outside 0-59/)
    refused("* 24 * * *", /hour 24/)
    refused("* * 0 * *", /day of month 0/)
    refused("* * * 13 *", /month 13/)
    refused("* * * FOO *", /"FOO" is not a month/)
    refused("*/0 * * * *", /step/)
    refused("5-1 * * * *", /runs backwards/)
    refused("1,,2 * * * *", /not a valid minute item/)
    refused("@every 5m", /unknown macro/)
    assert.strictEqual(nextTick(parseCron("0 0 30 2 *"), 0, "UTC"), undefined)
    assert.isTrue(isKnownTimeZone("Europe/Paris"))
    assert.isFalse(isKnownTimeZone("Mars/Olympus_Mons"))
  })
})
