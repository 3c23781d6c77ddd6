/** The conformance kit must catch broken stores: each mutant of the memory store fails the checks named for it. */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { storeConformance } from "../../src/store/conformance.ts"
import type { DurableKV } from "../../src/store/durable-kv.ts"
import { type ExecutionIndex, makeMemoryIndex } from "../../src/store/execution-index.ts"
import type { ExecutionStoreShape } from "../../src/store/execution-store.ts"
import { makeKvExecutionStore } from "../../src/store/kv-execution-store.ts"
import { makeMemoryKV } from "../../src/store/memory-kv.ts"
import { makeMemoryStore } from "../../src/store/memory-store.ts"

/**
 * A KV store whose index keeps a field of a row as first listed once it has one (the version label, the error), as
 * an UPDATE that leaves that column alone would.
 */
const stickyStore = (field: "version" | "error"): ExecutionStoreShape => {
  const kvs = new Map<string, DurableKV>()
  const index = makeMemoryIndex()
  const sticky: ExecutionIndex = {
    ...index,
    upsert: (summary) =>
      Effect.flatMap(index.get(summary.executionId), (row) => {
        if (row === undefined || row[field] === undefined) return index.upsert(summary)
        return index.upsert({ ...summary, [field]: row[field] })
      })
  }
  const open = (id: string) => {
    const kv = kvs.get(id) ?? makeMemoryKV()
    kvs.set(id, kv)
    return kv
  }
  return makeKvExecutionStore({ open, index: sticky })
}

type Mutant = (store: ExecutionStoreShape) => ExecutionStoreShape

/** The name of the kit check that starts with `prefix`. */
const named = (prefix: string): string => {
  const found = storeConformance.find((c) => c.name.startsWith(prefix))
  if (found === undefined) throw new Error(`no conformance check starts with "${prefix}"`)
  return found.name
}

const mutants: ReadonlyArray<{ readonly name: string; readonly mutate: Mutant; readonly caughtBy: ReadonlyArray<string> }> = [
  {
    name: "ignores expectedSeq",
    mutate: (s) => ({ ...s, append: (id, events, seq) => Effect.catchTag(s.append(id, events, seq), "SeqConflict", () => Effect.succeed(events)) }),
    caughtBy: ["an append with the wrong expectedSeq", "expectedSeq 0 on an existing", "concurrent appends"]
  },
  {
    name: "loads events out of order",
    mutate: (s) => ({ ...s, load: (id) => Effect.map(s.load(id), (log) => log && { ...log, events: [...log.events].reverse() }) }),
    caughtBy: ["append then load", "a log of 10,000 events"]
  },
  {
    name: "appends a batch one event at a time",
    mutate: (s) => ({
      ...s,
      append: (id, events, seq) =>
        Effect.as(Effect.forEach(events, (event, i) => Effect.andThen(s.append(id, [event], seq + i), Effect.yieldNow), { discard: true }), events)
    }),
    caughtBy: ["a batch holding an invalid event", "a batch of several events is atomic"]
  },
  {
    name: "ignores the append rules (a refused batch reported as written)",
    mutate: (s) => ({ ...s, append: (id, events, seq) => Effect.catchTag(s.append(id, events, seq), "LogCorrupted", () => Effect.succeed(events)) }),
    caughtBy: ["a batch holding an invalid event", "a misnumbered batch"]
  },
  {
    name: "returns nothing from append",
    mutate: (s) => ({ ...s, append: (id, events, seq) => Effect.as(s.append(id, events, seq), []) }),
    caughtBy: ["append returns the events as written", "concurrent appends"]
  },
  {
    name: "stamps the events it is given (writes a copy, modifies the originals)",
    mutate: (s) => ({
      ...s,
      append: (id, events, seq) =>
        Effect.map(s.append(id, events.map((e) => ({ ...e })), seq), (written) => {
          for (const event of events) (event as { at: number }).at += 1
          return written
        })
    }),
    caughtBy: ["append returns the events as written"]
  },
  {
    name: "ignores the status filter",
    mutate: (s) => ({ ...s, list: ({ status: _, ...query }) => s.list(query) }),
    caughtBy: ["listing filters", "summary() and the listing follow the log"]
  },
  {
    name: "drops the first row of every later page",
    mutate: (s) => ({ ...s, list: (q) => Effect.map(s.list(q), (page) => (q.cursor === undefined ? page : { ...page, items: page.items.slice(1) })) }),
    caughtBy: ["pagination", "listing filters"]
  },
  {
    name: "keeps the alarm on delete",
    mutate: (s) => ({
      ...s,
      delete: (id) =>
        Effect.flatMap(s.getAlarm(id), (at) => Effect.andThen(s.delete(id), at === undefined ? Effect.void : s.setAlarm(id, at)))
    }),
    caughtBy: ["delete removes"]
  },
  {
    name: "forgets the end time",
    mutate: (s) => ({ ...s, summary: (id) => Effect.map(s.summary(id), (row) => {
      if (row === undefined) return row
      const { endedAt: _, ...rest } = row
      return rest
    }) }),
    caughtBy: ["summary() and the listing follow the log", "concurrent appends"]
  },
  {
    name: "overwrites an alarm only when earlier",
    mutate: (s) => ({
      ...s,
      setAlarm: (id, at) => Effect.flatMap(s.getAlarm(id), (old) => (old !== undefined && old < at ? Effect.void : s.setAlarm(id, at)))
    }),
    caughtBy: ["alarms"]
  },
  {
    name: "sets the alarm an append carries in a separate write, even when the append is refused",
    mutate: (s) => ({
      ...s,
      append: (id, events, seq, options) =>
        Effect.ensuring(s.append(id, events, seq), options?.alarmAt === undefined ? Effect.void : Effect.ignore(s.setAlarm(id, options.alarmAt)))
    }),
    caughtBy: ["an append carrying an alarm"]
  },
  {
    name: "ignores the alarm an append carries",
    mutate: (s) => ({ ...s, append: (id, events, seq) => s.append(id, events, seq) }),
    caughtBy: ["an append carrying an alarm"]
  },
  {
    name: "reads a page from the seq after the one asked",
    mutate: (s) => ({ ...s, readPage: (id, after, limit) => s.readPage!(id, after + 1, limit) }),
    caughtBy: ["a page of the log by seq"]
  },
  {
    name: "orders ties with localeCompare (a collation), not by code unit",
    mutate: (s) => ({
      ...s,
      list: (query) =>
        Effect.map(s.list(query), (page) => ({
          ...page,
          items: [...page.items].sort((a, b) => b.startedAt - a.startedAt || a.executionId.localeCompare(b.executionId))
        }))
    }),
    caughtBy: ["listing ties are ordered by code unit"]
  },
  {
    name: "keeps its listing in one value rewritten without a lock (concurrent starts lose rows)",
    mutate: (s) => {
      let listed: ReadonlyArray<string> = []
      return {
        ...s,
        append: (id, events, seq, options) =>
          Effect.gen(function*() {
            const before = listed // read, then (after a yield) write back with this one: a lost update under concurrency
            const written = yield* s.append(id, events, seq, options)
            yield* Effect.yieldNow
            if (seq === 0) listed = [...before, id]
            return written
          }),
        list: (query) => Effect.map(s.list(query), (page) => ({ ...page, items: page.items.filter((row) => listed.includes(row.executionId)) }))
      }
    },
    caughtBy: ["starts of many executions at once"]
  },
  {
    name: "never shows PAUSED (writes RUNNING for it)",
    mutate: (s) => {
      const running = <A extends { readonly status: string }>(row: A): A => (row.status === "PAUSED" ? { ...row, status: "RUNNING" } : row)
      return {
        ...s,
        summary: (id) => Effect.map(s.summary(id), (row) => row && running(row)),
        list: (query) => Effect.map(s.list(query.status === "PAUSED" ? { ...query, status: "RUNNING" } : query), (page) => ({ ...page, items: page.items.map(running) }))
      }
    },
    caughtBy: ["a paused execution is PAUSED"]
  },
  {
    name: "keeps the version label a row was listed with (a rewind's is not written)",
    mutate: () => stickyStore("version"),
    caughtBy: ["ExecutionRewound's version label replaces the start's"]
  },
  {
    name: "keeps the error a row was listed with (a rewind's clearing and the next end's are not written)",
    mutate: () => stickyStore("error"),
    caughtBy: ["a failed or stopped execution's summary and listed row carry its error"]
  },
  {
    name: "lists rows without their error (a SELECT that leaves out the error's columns)",
    mutate: (s) => ({
      ...s,
      list: (query) => Effect.map(s.list(query), (page) => ({ ...page, items: page.items.map(({ error: _, ...row }) => row) }))
    }),
    caughtBy: ["a failed or stopped execution's summary and listed row carry its error"]
  },
  {
    name: "reads a page one event too long",
    mutate: (s) => ({ ...s, readPage: (id, after, limit) => s.readPage!(id, after, limit + 1) }),
    caughtBy: ["a page of the log by seq"]
  }
]

describe("the conformance kit catches broken stores", () => {
  for (const mutant of mutants) {
    it.effect(mutant.name, () =>
      Effect.gen(function*() {
        const store = mutant.mutate(makeMemoryStore())
        const failed: Array<string> = []
        for (const c of storeConformance) {
          if (Exit.isFailure(yield* Effect.exit(c.run(store)))) failed.push(c.name)
        }
        for (const prefix of mutant.caughtBy) assert.include(failed, named(prefix), `not caught by "${prefix}"`)
      }))
  }
})
