import { assert, describe, it } from "@effect/vitest"
import { checkWaitMillis, type Duration, durationToMillis, MAX_WAIT_MS, MIN_WAIT_MS } from "../../src/context/duration.ts"
import { InvalidDurationError } from "../../src/context/errors.ts"

const SECOND = 1_000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

/** Runs `f`, asserts it throws an InvalidDurationError, and returns the message. */
const invalid = (f: () => unknown): string => {
  try {
    f()
  } catch (error) {
    assert.instanceOf(error, InvalidDurationError)
    assert.strictEqual(error.name, "InvalidDurationError")
    return error.message
  }
  assert.fail("expected an InvalidDurationError")
}

describe("durationToMillis", () => {
  it("converts each unit to milliseconds", () => {
    assert.strictEqual(durationToMillis({ seconds: 30 }), 30 * SECOND)
    assert.strictEqual(durationToMillis({ minutes: 5 }), 5 * MINUTE)
    assert.strictEqual(durationToMillis({ hours: 2 }), 2 * HOUR)
    assert.strictEqual(durationToMillis({ days: 3 }), 3 * DAY)
  })

  it("sums all the units given", () => {
    assert.strictEqual(
      durationToMillis({ days: 1, hours: 2, minutes: 3, seconds: 4 }),
      DAY + 2 * HOUR + 3 * MINUTE + 4 * SECOND
    )
    assert.strictEqual(durationToMillis({ minutes: 1, seconds: 30 }), 90 * SECOND)
  })

  it("accepts fractional seconds and zero", () => {
    assert.strictEqual(durationToMillis({ seconds: 0.5 }), 500)
    assert.strictEqual(durationToMillis({ seconds: 0 }), 0)
  })

  it("rejects something that is not an object, saying what it got", () => {
    assert.include(invalid(() => durationToMillis(30 as unknown as Duration)), "must be a Duration object such as { seconds: 30 }, got 30")
    // A bare number is shown as the seconds it likely meant.
    assert.include(invalid(() => durationToMillis(5 as unknown as Duration)), "such as { seconds: 5 }, got 5")
    assert.include(invalid(() => durationToMillis("5s" as unknown as Duration)), "got \"5s\"")
    assert.include(invalid(() => durationToMillis(null as unknown as Duration)), "got null")
    assert.include(invalid(() => durationToMillis(undefined as unknown as Duration)), "got undefined")
  })

  it("rejects a negative unit, naming the unit and the value", () => {
    const message = invalid(() => durationToMillis({ seconds: -1 }))
    assert.include(message, "duration.seconds must be a non-negative finite number")
    assert.include(message, "got -1")
  })

  it("rejects NaN and Infinity, reporting them as such", () => {
    assert.include(invalid(() => durationToMillis({ minutes: Number.NaN })), "duration.minutes must be a non-negative finite number, got NaN")
    assert.include(invalid(() => durationToMillis({ hours: Infinity })), "duration.hours must be a non-negative finite number, got Infinity")
  })

  it("rejects a unit that is not a number", () => {
    assert.include(invalid(() => durationToMillis({ seconds: "5" } as unknown as Duration)), "duration.seconds must be a non-negative finite number, got \"5\"")
  })

  it("rejects an object with no unit at all, including one with a misspelt unit, which it names", () => {
    assert.strictEqual(invalid(() => durationToMillis({} as Duration)), "duration must set at least one of days, hours, minutes, seconds")
    assert.strictEqual(
      invalid(() => durationToMillis({ second: 5, ms: 1 } as unknown as Duration)),
      `duration must set at least one of days, hours, minutes, seconds, got "second", "ms"`
    )
  })

  it("names the setting in its messages when told what the duration is for", () => {
    assert.match(invalid(() => durationToMillis({} as Duration, "initialDelay")), /^initialDelay must set/)
    assert.include(invalid(() => durationToMillis({ days: -2 }, "retention")), "retention.days")
  })
})

describe("checkWaitMillis", () => {
  it("accepts the limits themselves: 1 second and 366 days", () => {
    assert.strictEqual(MIN_WAIT_MS, SECOND)
    assert.strictEqual(MAX_WAIT_MS, 366 * DAY)
    assert.strictEqual(checkWaitMillis(SECOND, "wait"), SECOND)
    assert.strictEqual(checkWaitMillis(366 * DAY, "wait"), 366 * DAY)
    assert.strictEqual(checkWaitMillis(5 * MINUTE, "wait"), 5 * MINUTE)
  })

  it("rejects half a second, naming the limits and the length given", () => {
    const message = invalid(() => checkWaitMillis(500, "The wait \"nap\""))
    assert.include(message, "The wait \"nap\" must be between 1 second and 1 year (366 days)")
    assert.include(message, "got 0.5 seconds")
  })

  it("rejects two years, naming the limits and the length given", () => {
    const message = invalid(() => checkWaitMillis(2 * 365 * DAY, "The wait \"hibernate\""))
    assert.include(message, "must be between 1 second and 1 year (366 days)")
    assert.include(message, "got 730 days")
  })

  it("rejects a wait just past a year", () => {
    invalid(() => checkWaitMillis(366 * DAY + 1, "wait"))
  })

  it("rejects NaN rather than letting it through", () => {
    invalid(() => checkWaitMillis(Number.NaN, "wait"))
  })
})
