/**
 * An option given twice: Node's parseArgs keeps the last value and drops the others without a word, so
 * `--status FAILED --status QUEUED` listed only QUEUED. A value-taking option not declared `multiple` is refused.
 */
import { parseArgs } from "node:util"

type Options = Readonly<Record<string, { readonly type: "string" | "boolean"; readonly multiple?: boolean; readonly short?: string }>>

/** The first value-taking option of `args` given more than once, unless it is meant to repeat. */
export const repeatedOption = (args: ReadonlyArray<string>, options: Options): string | undefined => {
  const { tokens } = parseArgs({ args: [...args], options, allowPositionals: true, strict: false, tokens: true })
  const seen = new Set<string>()
  for (const token of tokens) {
    if (token.kind !== "option") continue
    const option = options[token.name]
    // A repeated switch (--json --json) loses nothing.
    if (option === undefined || option.type !== "string" || option.multiple === true) continue
    if (seen.has(token.name)) return token.name
    seen.add(token.name)
  }
  return undefined
}

/** The usage error's words for a repeated option. */
export const repeatedMessage = (name: string): string =>
  `--${name} is given more than once: give it once${name === "status" ? " (several statuses go comma-separated: --status FAILED,QUEUED)" : ""}`
