/**
 * The Node server's log lines, written to stderr once per turn of the event loop rather than one write per line.
 * Under issue 13's W2 (200 executions at once, two lifecycle lines each) a write per line, through console.error,
 * was ~7% of the server's CPU. The lines of a turn go out at its end (setImmediate), and at once when the process
 * exits (stderr is synchronous for files and pipes on Linux), so a crash loses at most the lines of the turn a
 * SIGKILL cut. Other writes to stderr of the same turn (an uncaught error's trace) can come before them. The text
 * goes through console.error, which ignores a closed stderr (EPIPE) where process.stderr.write would throw.
 */
export interface LogLines {
  readonly write: (line: string) => void
  /** Writes what is pending now. */
  readonly flush: () => void
  /** Flushes and stops listening for the process's exit. */
  readonly close: () => void
}

export const logLines = (out: (text: string) => void = (text) => console.error(text)): LogLines => {
  let pending: Array<string> = []
  let scheduled = false
  const flush = () => {
    scheduled = false
    if (pending.length === 0) return
    const text = pending.join("\n")
    pending = []
    out(text)
  }
  process.on("exit", flush)
  return {
    write: (line) => {
      pending.push(line)
      if (!scheduled) {
        scheduled = true
        setImmediate(flush)
      }
    },
    flush,
    close: () => {
      process.off("exit", flush)
      flush()
    }
  }
}
