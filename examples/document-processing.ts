/**
 * Document processing: read (OCR) and classify a batch of scanned documents, three at a time, each in its own
 * durable item context named after the document. A few unreadable scans must not block the rest: up to 25% of
 * the documents may fail. Past that the batch stops starting new documents. Either way a summary is filed.
 */
import { createRetryStrategy, durable } from "reprise"

export interface ScannedDocument {
  readonly documentId: string
  readonly pages: number
}
export interface ProcessedDocument {
  readonly documentId: string
  readonly category: "invoice" | "contract" | "other"
  readonly words: number
}

/**
 * A fake OCR service and classifier, and the archive where summaries go. Documents in `corrupt` can never be read;
 * those in `flaky` fail once with a 503 first. `running`/`peak` show how many OCR calls ran at once.
 */
export const fakeDocumentServices = (options: { corrupt?: ReadonlyArray<string>; flaky?: ReadonlyArray<string> } = {}) => {
  const calls = { ocr: 0, classify: 0, fileSummary: 0 }
  const concurrency = { running: 0, peak: 0 }
  const flaky = new Set(options.flaky)
  const summaries: Array<unknown> = []
  return {
    calls, concurrency, summaries,
    ocr: async (doc: ScannedDocument) => {
      calls.ocr++
      concurrency.peak = Math.max(concurrency.peak, ++concurrency.running)
      await new Promise((resolve) => setTimeout(resolve, 1)) // the service takes a moment
      concurrency.running--
      if (flaky.delete(doc.documentId)) throw new Error("OCR service temporarily unavailable (503)")
      if (options.corrupt?.includes(doc.documentId)) throw new Error(`${doc.documentId}: unreadable scan`)
      return `text of ${doc.documentId} `.repeat(doc.pages * 10)
    },
    classify: async (text: string) => {
      calls.classify++
      return text.includes("inv") ? "invoice" as const : text.includes("ctr") ? "contract" as const : "other" as const
    },
    fileSummary: async (summary: unknown) => {
      calls.fileSummary++
      summaries.push(summary)
      return `summary-${summaries.length}`
    }
  }
}
export type DocumentServices = ReturnType<typeof fakeDocumentServices>

export const makeDocumentProcessing = (services: DocumentServices) =>
  durable("document-processing", async (input: { batchId: string; documents: ReadonlyArray<ScannedDocument> }, ctx) => {
    const batch = await ctx.map("process-documents", input.documents, async (item, doc): Promise<ProcessedDocument> => {
      // Outages are retried on durable timers; an unreadable scan fails at once and fails this item only.
      const text = await item.step("ocr", () => services.ocr(doc), {
        retryStrategy: createRetryStrategy({ maxAttempts: 3, initialDelay: { seconds: 10 }, retryableErrors: ["temporarily unavailable"] })
      })
      const category = await item.step("classify", () => services.classify(text))
      return { documentId: doc.documentId, category, words: text.split(" ").length - 1 }
    }, {
      maxConcurrency: 3,
      itemNamer: (doc) => doc.documentId,
      completionConfig: { toleratedFailurePercentage: 25 }
    })

    const summary = {
      batchId: input.batchId,
      status: batch.completionReason === "FAILURE_TOLERANCE_EXCEEDED" ? "aborted" as const : "completed" as const,
      processed: batch.getResults(),
      failed: batch.failed().map((item) => ({ documentId: item.name!, error: item.error?.message })),
      notProcessed: input.documents.length - batch.successCount - batch.failureCount
    }
    const summaryId = await ctx.step("file-summary", () => services.fileSummary(summary))
    return { ...summary, summaryId }
  }, { description: "Document processing: OCR and classify documents with map (3 at a time), tolerating 25% failures, then a summary" })

/** The instance `npm start` serves. */
export const documentProcessing = makeDocumentProcessing(fakeDocumentServices({ corrupt: ["scan-13"] }))
