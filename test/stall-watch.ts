/**
 * A Vitest reporter that ends a run which has stopped making progress, and says where it stopped.
 *
 * Every test and hook is bounded (vitest.config.ts), but Vitest waits without a deadline for a worker to report
 * its file finished. When that report never comes the run sits idle until CI kills it, 90 minutes later, with
 * nothing in the log to say why: that is how a lost answer to a worker (docs/lambda.md, AWS's runner) showed. This
 * watch fails the run after `REPRISE_TEST_STALL_MINUTES` (default 10) without a test result or a file ending, naming
 * the files in flight and whether their tests had all reported.
 */
import type { Reporter, TestCase, TestModule } from "vitest/node"

export interface InFlight {
  readonly moduleId: string
  readonly startedAt: number
  readonly testsReported: number
  readonly testsCollected: number
}

/** The message for a run stalled since `lastProgressAt`, or undefined while it is within `limitMs`. */
export const stallReport = (inFlight: ReadonlyArray<InFlight>, lastProgressAt: number, now: number, limitMs: number): string | undefined => {
  if (now - lastProgressAt < limitMs) return undefined
  const minutes = Math.round((now - lastProgressAt) / 60_000)
  const files = inFlight.map((file) => {
    const allReported = file.testsCollected > 0 && file.testsReported >= file.testsCollected
    const where = allReported
      ? `all ${file.testsCollected} tests reported, but its worker never reported the file finished (a lost answer to the worker?)`
      : `${file.testsReported} of ${file.testsCollected} tests reported`
    return `  ${file.moduleId}: started ${Math.round((now - file.startedAt) / 60_000)} min ago; ${where}`
  })
  return [
    `stall-watch: no test result and no file finished for ${minutes} min; ending the run.`,
    ...(files.length === 0 ? ["  no file in flight (the run stopped between files)"] : files)
  ].join("\n")
}

const limitMs = () => {
  const minutes = Number(process.env.REPRISE_TEST_STALL_MINUTES ?? "10")
  return (Number.isFinite(minutes) && minutes > 0 ? minutes : 10) * 60_000
}

export default class StallWatch implements Reporter {
  readonly #inFlight = new Map<string, { startedAt: number; reported: number; module: TestModule }>()
  #lastProgressAt = Date.now()
  #timer: ReturnType<typeof setInterval> | undefined

  onTestRunStart() {
    this.#lastProgressAt = Date.now()
    this.#timer = setInterval(() => this.#check(), 30_000)
    this.#timer.unref()
  }

  onTestModuleStart(module: TestModule) {
    this.#inFlight.set(module.moduleId, { startedAt: Date.now(), reported: 0, module })
  }

  onTestCaseResult(test: TestCase) {
    this.#lastProgressAt = Date.now()
    const file = this.#inFlight.get(test.module.moduleId)
    if (file !== undefined) file.reported++
  }

  onTestModuleEnd(module: TestModule) {
    this.#lastProgressAt = Date.now()
    this.#inFlight.delete(module.moduleId)
  }

  onTestRunEnd() {
    clearInterval(this.#timer)
  }

  #check() {
    const inFlight = [...this.#inFlight.values()].map((file) => ({
      moduleId: file.module.moduleId,
      startedAt: file.startedAt,
      testsReported: file.reported,
      testsCollected: [...file.module.children.allTests()].length
    }))
    const report = stallReport(inFlight, this.#lastProgressAt, Date.now(), limitMs())
    if (report === undefined) return
    process.stderr.write(`\n${report}\n`)
    process.exit(1)
  }
}
