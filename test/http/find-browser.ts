/**
 * The Chromium the console's browser test drives: $REPRISE_CHROMIUM if set, else the first of the usual install
 * places. Where there is none the test is skipped with one line saying how to run it, unless
 * REPRISE_BROWSER_REQUIRED=1 (.ci/run sets it), where a missing browser is an error, so CI cannot skip it silently.
 */
import { existsSync } from "node:fs"

const KNOWN = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
  "/snap/bin/chromium",
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"
]

export const HOW_TO_RUN = "install Chromium (Debian: apt-get install -y chromium) or set REPRISE_CHROMIUM to a Chromium or Chrome binary"

export interface BrowserLookup {
  readonly path: string | undefined
  /** Why there is none, for the skip line or the error. */
  readonly missing: string
}

export const findBrowser = (env: Readonly<Record<string, string | undefined>> = process.env): BrowserLookup => {
  const given = env.REPRISE_CHROMIUM
  if (given !== undefined && given !== "") {
    return existsSync(given) ? { path: given, missing: "" } : { path: undefined, missing: `REPRISE_CHROMIUM=${given} does not exist` }
  }
  const path = KNOWN.find((candidate) => existsSync(candidate))
  return { path, missing: path === undefined ? `no Chromium at ${KNOWN.join(", ")}` : "" }
}

export const browserRequired = (env: Readonly<Record<string, string | undefined>> = process.env): boolean =>
  env.REPRISE_BROWSER_REQUIRED === "1"
