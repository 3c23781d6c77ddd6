/** Bundles a Worker entry into one ES module for Miniflare, as wrangler would, from Reprise's sources. */
import { build } from "esbuild"

export const bundleWorker = async (entry: string, outfile: string): Promise<string> => {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["reprise-source", "workerd", "worker", "browser"], // bundle the sources (see vitest.config.ts)
    mainFields: ["module", "main"],
    external: ["cloudflare:*"],
    logLevel: "warning"
  })
  return outfile
}
