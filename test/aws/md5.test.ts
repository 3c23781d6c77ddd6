/** The TypeScript MD5 that names operations on the wire agrees with node:crypto's, on the one-block path and off it. */
import { createHash } from "node:crypto"
import { assert, describe, it } from "vitest"
import { md5Hex, wireId } from "reprise/aws"

const reference = (text: string) => createHash("md5").update(text).digest("hex")

describe("md5Hex", () => {
  it("agrees with node:crypto on positional ids, block boundaries and non-ASCII text", () => {
    const texts = ["", "1", "2-1", "3-1-1", "1234-5678-9"]
    for (let n = 50; n <= 130; n++) texts.push("x".repeat(n)) // 55/56 (one block or two) and 64/119/120
    texts.push("é", "☃-1", "𝄞".repeat(20), "é".repeat(28), "naïve 名前 " .repeat(9))
    for (const text of texts) assert.strictEqual(md5Hex(text), reference(text), JSON.stringify(text).slice(0, 40))
  })

  it("gives the wire ids AWS's SDK sends", () => {
    // Observed under AWS's local runner (docs/aws-durable-reference.md §2.2).
    assert.strictEqual(wireId("1"), "c4ca4238a0b92382")
    assert.strictEqual(wireId("1-1"), "ea66c06c1e1c05fa")
    assert.strictEqual(wireId("1-1-1"), "2f221a18eb863803")
    assert.strictEqual(wireId("3-1-1"), "284ee898088b7efd")
  })
})
