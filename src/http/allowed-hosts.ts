/**
 * The Host check, against DNS rebinding: a page on a name the attacker controls, re-pointed at 127.0.0.1, is
 * same-origin with a local server as far as the browser knows, and could read and write it freely. What it cannot
 * change is the Host header, which still names the attacker's domain; so a request whose Host is not a name this
 * server is known by is refused (403 problem+json) before anything else runs.
 *
 * Always allowed: `localhost` and IP literals (a page can only reach those by their own origin, which the browser
 * keeps apart from every other). Add the names the server is reached by (the bound hostname, a proxy's public
 * name); a leading dot allows a domain's subdomains (`.example.com`), and `*` turns the check off.
 */
import type { MiddlewareHandler } from "hono"
import { problemResponse } from "./problem.ts"

export type AllowedHosts = ReadonlyArray<string>

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/

/** The hostname part of the request URL, lower case, without the brackets of an IPv6 literal. */
const hostnameOf = (url: string): string => new URL(url).hostname.toLowerCase().replace(/^\[(.*)\]$/, "$1")

const isIpLiteral = (hostname: string): boolean => IPV4.test(hostname) || hostname.includes(":")

const normalise = (entry: string): string => entry.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1").replace(/\.$/, "")

/** Whether `hostname` is one the server serves, given the configured names. */
export const hostAllowed = (hostname: string, allowed: AllowedHosts): boolean => {
  const name = hostname.replace(/\.$/, "")
  if (name === "localhost" || isIpLiteral(name)) return true
  return allowed.some((entry) => {
    const pattern = normalise(entry)
    return pattern === "*" || pattern === name || (pattern.startsWith(".") && (name.endsWith(pattern) || name === pattern.slice(1)))
  })
}

export const allowedHosts = (allowed: AllowedHosts): MiddlewareHandler => async (c, next) => {
  const hostname = hostnameOf(c.req.url)
  if (hostAllowed(hostname, allowed)) return next()
  return problemResponse(
    "host-not-allowed",
    `This server is not known as ${JSON.stringify(hostname)}; add it to allowedHosts (REPRISE_ALLOWED_HOSTS) if it should be`,
    c.req.path
  )
}
