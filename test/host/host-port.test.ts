/**
 * resolvePort: the option, else $PORT (unset or empty: 8787); a $PORT that is not a port number is refused, named.
 * serverUrl: the URL a server reports, an IPv6 hostname in brackets.
 * resolveShutdownGrace: the option, else $REPRISE_SHUTDOWN_GRACE_MS, else 5 s; anything but whole ms up to an hour refused.
 */
import { assert, describe, it } from "@effect/vitest"
import { DEFAULT_PORT, resolvePort, resolveShutdownGrace, serverUrl, SHUTDOWN_GRACE_MS } from "../../src/host/host-port.ts"

const env = (port: string | undefined) => (name: string) => (name === "PORT" ? port : undefined)

describe("resolvePort", () => {
  it("the option first, even 0; else $PORT; else 8787", () => {
    assert.strictEqual(resolvePort(0, env("9000")), 0)
    assert.strictEqual(resolvePort(undefined, env("9000")), 9000)
    assert.strictEqual(resolvePort(undefined, env(" 9001 ")), 9001)
    assert.strictEqual(resolvePort(undefined, env("0")), 0)
    assert.strictEqual(resolvePort(undefined, env(undefined)), DEFAULT_PORT)
    assert.strictEqual(DEFAULT_PORT, 8787)
  })

  it("an empty $PORT counts as unset, not as 0 (a random port)", () => {
    assert.strictEqual(resolvePort(undefined, env("")), 8787)
  })

  it("a $PORT that is not a port number is a TypeError naming PORT and the value", () => {
    for (const bad of ["abc", "80a", "-1", "65536", "8080.5", "1e3"]) {
      assert.throws(() => resolvePort(undefined, env(bad)), TypeError, `PORT must be a port number (0 to 65535), not ${JSON.stringify(bad)}`)
    }
  })
})

describe("serverUrl", () => {
  it("puts an IPv6 hostname in brackets, and leaves names and IPv4 as they are", () => {
    assert.strictEqual(serverUrl("::1", 8787), "http://[::1]:8787")
    assert.strictEqual(serverUrl("[::1]", 8787), "http://[::1]:8787")
    assert.strictEqual(serverUrl("127.0.0.1", 80), "http://127.0.0.1:80")
    assert.strictEqual(serverUrl("localhost", 8787), "http://localhost:8787")
    assert.doesNotThrow(() => new URL(`${serverUrl("::", 1)}/healthz`))
  })
})

describe("resolveShutdownGrace", () => {
  const graceEnv = (value: string | undefined) => (name: string) => (name === "REPRISE_SHUTDOWN_GRACE_MS" ? value : undefined)

  it("the option first, even 0; else $REPRISE_SHUTDOWN_GRACE_MS; else 5 s (an empty variable counts as unset)", () => {
    assert.strictEqual(resolveShutdownGrace(0, graceEnv("30000")), 0)
    assert.strictEqual(resolveShutdownGrace(undefined, graceEnv(" 30000 ")), 30_000)
    assert.strictEqual(resolveShutdownGrace(undefined, graceEnv("")), SHUTDOWN_GRACE_MS)
    assert.strictEqual(resolveShutdownGrace(undefined, graceEnv(undefined)), 5_000)
  })

  it("refuses what is not a whole number of ms up to an hour, naming where it came from", () => {
    for (const bad of ["-1", "5s", "1.5", "3600001", "1e3"]) {
      assert.throws(() => resolveShutdownGrace(undefined, graceEnv(bad)), TypeError, `REPRISE_SHUTDOWN_GRACE_MS must be a whole number of milliseconds from 0 to 3600000, not ${JSON.stringify(bad)}`)
    }
    for (const bad of [-1, 1.5, Number.NaN, Infinity]) {
      assert.throws(() => resolveShutdownGrace(bad, graceEnv("10")), TypeError, /^shutdownGraceMs must be a whole number/)
    }
  })
})
