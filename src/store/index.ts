/**
 * reprise/store: the store ports, the generic KV store, the in-memory store, the conformance kit, and the kit for
 * writing a store of one's own (the append rules, the log codec, the listing pager, the errors and their helpers).
 */
export { ExecutionStore } from "./execution-store.ts"
export { readLogPage } from "./log-page.ts"
export type { AppendOptions, ExecutionStoreShape, StoredLog } from "./execution-store.ts"
export type { DurableKV, DurableKVOps, DurableKVTransaction, KvListOptions } from "./durable-kv.ts"
export { eventKey, makeKvExecutionStore } from "./kv-execution-store.ts"
export type { KvExecutionStoreOptions } from "./kv-execution-store.ts"
export { makeMemoryIndex, pageOf } from "./execution-index.ts"
export type { ExecutionIndex } from "./execution-index.ts"
export { makeMemoryKV } from "./memory-kv.ts"
export { layerMemoryStore, makeMemoryStore } from "./memory-store.ts"
export type { MemoryStore } from "./memory-store.ts"
export {
  clipText,
  compareSummaries,
  decodeCursor,
  DEFAULT_PAGE,
  encodeCursor,
  errorOfRow,
  isAfterCursor,
  MAX_PAGE,
  pageSize,
  summarize,
  SUMMARY_ERROR_CHARS,
  summaryError
} from "./execution-summary.ts"
export type { ExecutionSummary, ListPage, ListQuery, SummaryError } from "./execution-summary.ts"
export { isSearch, MAX_SCANNED, runInput, searchListing, startedInput } from "./list-search.ts"
export type { SearchQuery } from "./list-search.ts"
export { attemptStore, attemptStorePromise, SeqConflict, StoreFailure, storeFailure, WRITES_FAILING } from "./store-errors.ts"
export { checkAppend, EMPTY_HEAD } from "./append-checks.ts"
export type { LogHead } from "./append-checks.ts"
export { CheckFailed, check, checkEqual, checkFailsWith, storeConformance } from "./conformance.ts"
export type { ConformanceCheck } from "./conformance.ts"

// The log as a store reads and writes it.
export { decodeLog, decodeLogPage, encodeEvents } from "../log/decode-log.ts"
export { errorStoryLines } from "../log/error-story-lines.ts"
export { oneLine } from "../log/terminal-text.ts"
export { LogCorrupted } from "../log/log-corrupted.ts"
export { isTerminalEvent, TERMINAL_STATUS, terminalStatus } from "../log/terminal-event.ts"
export type { TerminalEvent } from "../log/terminal-event.ts"
export type { ErrorObject, LogEvent, NewEvent, OperationRef, OperationSubType, OperationType } from "../log/events.ts"
export type { ExecutionStatus, OperationState, OperationStatus } from "../log/fold.ts"
