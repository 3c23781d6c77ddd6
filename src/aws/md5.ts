/**
 * MD5 of a string's UTF-8 bytes, as lowercase hex (RFC 1321). AWS's SDK names operations on the wire by the first
 * 16 hex digits of the MD5 of their positional id; Web Crypto has no MD5, and the core may not import node:crypto,
 * so the few bytes a name needs are hashed here. Positional ids are short ASCII: they take a one-block path that
 * allocates nothing.
 */

/** Per-round shift amounts, by round and step within the four. */
const S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21]
/** K[i] = floor(abs(sin(i + 1)) * 2^32). */
const K = Int32Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 0x1_0000_0000) | 0)
/** The message word each step reads. */
const G = Uint8Array.from({ length: 64 }, (_, i) => (i < 16 ? i : i < 32 ? (5 * i + 1) % 16 : i < 48 ? (3 * i + 5) % 16 : (7 * i) % 16))

const encoder = new TextEncoder()
const block = new Int32Array(16)
const state = new Int32Array(4)

/** One 64-byte block (16 little-endian words) into the running state. */
const compress = (m: Int32Array, h: Int32Array) => {
  let a = h[0]!
  let b = h[1]!
  let c = h[2]!
  let d = h[3]!
  for (let i = 0; i < 64; i++) {
    const f = i < 16 ? (b & c) | (~b & d) : i < 32 ? (d & b) | (~d & c) : i < 48 ? b ^ c ^ d : c ^ (b | ~d)
    const sum = (a + f + K[i]! + m[G[i]!]!) | 0
    const shift = S[(i >>> 4) * 4 + (i & 3)]!
    a = d
    d = c
    c = b
    b = (b + ((sum << shift) | (sum >>> (32 - shift)))) | 0
  }
  h[0] = (h[0]! + a) | 0
  h[1] = (h[1]! + b) | 0
  h[2] = (h[2]! + c) | 0
  h[3] = (h[3]! + d) | 0
}

const hexOf = (h: Int32Array): string => {
  let hex = ""
  for (let w = 0; w < 4; w++) {
    const word = h[w]!
    for (let k = 0; k < 4; k++) hex += ((word >>> (k * 8)) & 0xff).toString(16).padStart(2, "0")
  }
  return hex
}

const reset = (h: Int32Array) => {
  h[0] = 0x67452301
  h[1] = 0xefcdab89 | 0
  h[2] = 0x98badcfe | 0
  h[3] = 0x10325476
}

/** True when every character is ASCII and the message, padded, fits one block. */
const oneBlock = (text: string): boolean => {
  if (text.length > 55) return false
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false
  return true
}

export const md5Hex = (text: string): string => {
  reset(state)
  if (oneBlock(text)) {
    block.fill(0)
    for (let i = 0; i < text.length; i++) block[i >>> 2]! |= text.charCodeAt(i) << ((i & 3) * 8)
    block[text.length >>> 2]! |= 0x80 << ((text.length & 3) * 8)
    block[14] = text.length * 8
    compress(block, state)
    return hexOf(state)
  }
  const data = encoder.encode(text)
  // Message, the 0x80 byte, zeros up to 56 mod 64, then the length in bits (64-bit little-endian).
  const padded = new Uint8Array(((data.length + 8) >>> 6) * 64 + 64)
  padded.set(data)
  padded[data.length] = 0x80
  const view = new DataView(padded.buffer)
  const bits = data.length * 8
  view.setUint32(padded.length - 8, bits >>> 0, true)
  view.setUint32(padded.length - 4, Math.floor(bits / 0x1_0000_0000), true)
  const m = new Int32Array(16)
  for (let offset = 0; offset < padded.length; offset += 64) {
    for (let j = 0; j < 16; j++) m[j] = view.getInt32(offset + j * 4, true)
    compress(m, state)
  }
  return hexOf(state)
}
