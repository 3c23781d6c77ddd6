/** A small Server-Sent Events reader for tests: frames one at a time from a fetch response, comments skipped. */
export interface SseFrame {
  readonly id: string | undefined
  readonly event: string | undefined
  readonly data: string
}

export interface SseStream {
  readonly response: Response
  /** The next frame, or undefined when the server closed the stream. */
  next(): Promise<SseFrame | undefined>
  /** Every frame up to the end of the stream (bounded by `max`). */
  rest(max?: number): Promise<Array<SseFrame>>
  /** Drops the connection, as a client that goes away does. */
  close(): Promise<void>
}

/** How a request is sent: `fetch` over the network, or another runtime's dispatcher (Miniflare's). */
export type Fetcher = (url: string, init: { headers: Record<string, string>; signal?: AbortSignal }) => Promise<Response>

export const openSse = async (url: string, headers: Record<string, string> = {}, fetcher: Fetcher = fetch): Promise<SseStream> => {
  const response = await fetcher(url, { headers: { accept: "text/event-stream", ...headers }, signal: AbortSignal.timeout(30_000) })
  const reader = response.body?.getReader()
  const decoder = new TextDecoder()
  let buffer = ""
  const next = async (): Promise<SseFrame | undefined> => {
    for (;;) {
      const end = buffer.indexOf("\n\n")
      if (end >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const fields = new Map<string, string>()
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) continue
          const colon = line.indexOf(":")
          const [name, value] = colon < 0 ? [line, ""] : [line.slice(0, colon), line.slice(colon + 1).replace(/^ /, "")]
          fields.set(name, fields.has(name) && name === "data" ? `${fields.get(name)}\n${value}` : value)
        }
        if (!fields.has("data")) continue // a comment (keep-alive)
        return { id: fields.get("id"), event: fields.get("event"), data: fields.get("data")! }
      }
      if (reader === undefined) return undefined
      const chunk = await reader.read()
      if (chunk.done) return undefined
      buffer += decoder.decode(chunk.value, { stream: true })
    }
  }
  return {
    response,
    next,
    rest: async (max = 10_000) => {
      const frames: Array<SseFrame> = []
      for (let i = 0; i < max; i++) {
        const frame = await next()
        if (frame === undefined) return frames
        frames.push(frame)
      }
      throw new Error(`the stream sent more than ${max} frames`)
    },
    close: async () => {
      await reader?.cancel().catch(() => undefined)
    }
  }
}
