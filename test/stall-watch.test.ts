/** The stall watch (test/stall-watch.ts): when a run counts as stalled, and what it says about the files in flight. */
import { describe, expect, it } from "vitest"
import { stallReport } from "./stall-watch.ts"

const MIN = 60_000

describe("stallReport", () => {
  it("says nothing while the last progress is within the limit", () => {
    expect(stallReport([], 0, 10 * MIN - 1, 10 * MIN)).toBeUndefined()
  })

  it("names a file whose tests all reported but which never finished: the worker's report was lost", () => {
    const report = stallReport([{ moduleId: "test/a.test.ts", startedAt: 0, testsReported: 4, testsCollected: 4 }], MIN, 11 * MIN, 10 * MIN)
    expect(report).toContain("no test result and no file finished for 10 min")
    expect(report).toContain("test/a.test.ts: started 11 min ago; all 4 tests reported, but its worker never reported the file finished")
  })

  it("names a file stuck inside its tests with the count reported so far", () => {
    const report = stallReport([{ moduleId: "test/b.test.ts", startedAt: 2 * MIN, testsReported: 1, testsCollected: 3 }], 2 * MIN, 14 * MIN, 10 * MIN)
    expect(report).toContain("test/b.test.ts: started 12 min ago; 1 of 3 tests reported")
  })

  it("says so when no file is in flight", () => {
    expect(stallReport([], 0, 10 * MIN, 10 * MIN)).toContain("no file in flight")
  })
})
