/**
 * Every way of asking for the help prints it: `reprise --help`, `-h`, `help`, and the same after npx's `--`
 * (`npx reprise -- --help` hands the `--` on). An error's hint names a command line that does print the help.
 */
import { assert, describe, it } from "@effect/vitest"
import { reprise } from "./cli-fixture.ts"

const HELP = /^reprise: durable functions from the command line\n/

describe("reprise's help", () => {
  it("is printed for --help, -h and help, with or without a leading --, and is what an error's hint names", async () => {
    for (const asked of [["--help"], ["-h"], ["help"], ["--", "--help"], ["--", "-h"], ["--", "help"], ["--json", "--", "--help"]]) {
      const answer = await reprise(asked)
      assert.strictEqual(answer.code, 0, `${asked.join(" ")}: ${answer.stderr}`)
      assert.match(answer.stdout, HELP, asked.join(" "))
      assert.strictEqual(answer.stderr, "", asked.join(" "))
    }
    // The leading -- goes before the command is read: init's own help, the version.
    assert.match((await reprise(["--", "init", "--help"])).stdout, /^reprise init /)
    assert.match((await reprise(["--", "--version"])).stdout, /^reprise \S+ \(Node /)

    // An error's hint is a command line that prints the help.
    for (const wrong of [["frobnicate"], ["--", "frobnicate"], ["--", "--frobnicate"]]) {
      const refused = await reprise(wrong)
      assert.strictEqual(refused.code, 2, `${wrong.join(" ")}: ${refused.stderr}`)
      const hint = /\(reprise ([^)]+)\)$/m.exec(refused.stderr)
      assert.isNotNull(hint, `${wrong.join(" ")}: a hint in ${refused.stderr}`)
      const followed = await reprise(hint![1]!.split(" "))
      assert.strictEqual(followed.code, 0, `the hint of ${wrong.join(" ")}: ${followed.stderr}`)
      assert.match(followed.stdout, HELP)
    }
  }, 180_000)
})
