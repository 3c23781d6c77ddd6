import { assert, describe, it } from "@effect/vitest"
import { createTestRunner } from "reprise/testing"
import { fakeDocumentServices, makeDocumentProcessing, type ScannedDocument } from "../../examples/document-processing.ts"
import { fixedStart } from "../testing/fixed-start.ts"

const documents: ReadonlyArray<ScannedDocument> = ["inv-1", "ctr-2", "memo-3", "inv-4", "inv-5", "ctr-6", "memo-7", "inv-8"]
  .map((documentId, i) => ({ documentId, pages: 1 + (i % 3) }))
const input = { batchId: "b-1", documents }

const setup = (options: Parameters<typeof fakeDocumentServices>[0] = {}) => {
  const services = fakeDocumentServices(options)
  const runner = createTestRunner({ ...fixedStart, functions: [makeDocumentProcessing(services)] })
  return { services, runner }
}
type Summary = { status: string; processed: Array<{ documentId: string; category: string }>; failed: Array<{ documentId: string; error: string }>; notProcessed: number; summaryId: string }

describe("examples/document-processing", () => {
  it("processes every document three at a time, each named after its document, and files one summary", async () => {
    const { runner, services } = setup()
    const execution = await runner.run("document-processing", input)
    const result = execution.result as Summary
    assert.strictEqual(result.status, "completed")
    assert.deepStrictEqual(result.processed.map((d) => `${d.documentId}:${d.category}`), [
      "inv-1:invoice", "ctr-2:contract", "memo-3:other", "inv-4:invoice", "inv-5:invoice", "ctr-6:contract", "memo-7:other", "inv-8:invoice"
    ])
    assert.deepStrictEqual(services.calls, { ocr: 8, classify: 8, fileSummary: 1 })
    assert.strictEqual(services.concurrency.peak, 3)
    assert.deepStrictEqual(execution.getOperation("process-documents")?.children().map((c) => c.name), documents.map((d) => d.documentId))
    const { summaryId, ...filed } = result
    assert.strictEqual(summaryId, "summary-1")
    assert.deepStrictEqual(services.summaries, [filed])
    await runner.dispose()
  })

  it("tolerates one unreadable scan out of eight (12.5%): the rest are processed, the failure is reported", async () => {
    const { runner, services } = setup({ corrupt: ["memo-3"] })
    const execution = await runner.run("document-processing", input)
    const result = execution.result as Summary
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.strictEqual(result.status, "completed")
    assert.strictEqual(result.processed.length, 7)
    assert.deepStrictEqual(result.failed.map((f) => f.documentId), ["memo-3"])
    assert.match(result.failed[0]!.error, /unreadable scan/)
    assert.strictEqual(result.notProcessed, 0)
    assert.deepStrictEqual(services.calls, { ocr: 8, classify: 7, fileSummary: 1 }) // an unreadable scan is not retried
    await runner.dispose()
  })

  it("stops starting documents once more than 25% have failed, and files an 'aborted' summary", async () => {
    const { runner, services } = setup({ corrupt: ["ctr-2", "memo-3", "inv-4"] })
    const execution = await runner.run("document-processing", input)
    const result = execution.result as Summary
    assert.strictEqual(result.status, "aborted")
    assert.deepStrictEqual(result.failed.map((f) => f.documentId), ["ctr-2", "memo-3", "inv-4"])
    assert.isAbove(result.notProcessed, 0)
    // The last documents are never sent at all. Those already at the OCR service when the batch stopped are cut off:
    // their results are not the batch's, and they start nothing after it (src/context/finished-batches.ts), but a
    // classify begun before the stop still runs, so "classify === processed" depends on the timers (it failed 2 runs
    // in 12 on a loaded machine). What holds: every processed document was classified, and no failed one.
    assert.isBelow(services.calls.ocr, 8)
    assert.isAtLeast(services.calls.classify, result.processed.length)
    assert.isAtMost(services.calls.classify, services.calls.ocr - result.failed.length)
    assert.strictEqual(services.calls.fileSummary, 1)
    await runner.dispose()
  })

  it("retries an OCR outage on a durable timer (time skipped)", async () => {
    const { runner, services } = setup({ flaky: ["inv-4"] })
    const execution = await runner.run("document-processing", input)
    assert.strictEqual((execution.result as Summary).processed.length, 8)
    assert.deepStrictEqual(services.calls, { ocr: 9, classify: 8, fileSummary: 1 })
    const ocr = execution.getOperation("inv-4")!.children().find((c) => c.name === "ocr")!
    assert.strictEqual(ocr.attempt, 2)
    assert.isAtMost(execution.now.getTime() - Date.UTC(2026, 0, 1), 10_000) // the retry delay: at most 10 s, jittered
    await runner.dispose()
  })

  it("after a crash during a retry delay, replays the finished documents without sending them to OCR again", async () => {
    const { runner, services } = setup({ flaky: ["memo-3"] })
    const execution = await runner.start("document-processing", input) // idle: memo-3's OCR retry is on a timer
    assert.strictEqual(execution.status, "RUNNING")
    assert.deepStrictEqual(services.calls, { ocr: 8, classify: 7, fileSummary: 0 })

    await execution.evict()
    await execution.settle()

    assert.strictEqual(execution.invocations, 2)
    assert.strictEqual((execution.result as Summary).processed.length, 8)
    assert.deepStrictEqual(services.calls, { ocr: 9, classify: 8, fileSummary: 1 }) // only memo-3's retry ran again
    await runner.dispose()
  })
})
