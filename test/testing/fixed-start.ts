/**
 * For tests that assert absolute times: the test runner's virtual clocks start at the real time by default, so these
 * pin the start. Spread it first (`createTestRunner({ ...fixedStart, functions })`): a `startTime` after it wins.
 */
export const fixedStart = { startTime: new Date("2026-01-01T00:00:00Z") } as const
