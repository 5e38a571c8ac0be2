import { createHash } from "node:crypto"

/**
 * Deterministic randomness of a search: each iteration draws from a generator seeded by
 * (seed, search id, iteration), so a resumed search makes exactly the choices of an uninterrupted one.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  readonly next: () => number
  /** Uniform integer in [0, n). */
  readonly int: (n: number) => number
}

const seedWords = (parts: ReadonlyArray<string | number>): [number, number, number, number] => {
  const digest = createHash("sha256").update(parts.join("\u0000")).digest()
  return [digest.readUInt32LE(0), digest.readUInt32LE(4), digest.readUInt32LE(8), digest.readUInt32LE(12)]
}

/** sfc32, seeded from a hash of the parts. */
export const makeRng = (...parts: ReadonlyArray<string | number>): Rng => {
  let [a, b, c, d] = seedWords(parts)
  const next = () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0
    let t = (a + b) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    d = (d + 1) | 0
    t = (t + d) | 0
    c = (c + t) | 0
    return (t >>> 0) / 4294967296
  }
  return { next, int: (n) => Math.floor(next() * n) }
}

/** A 31-bit sampling seed for one model request, derived like the iteration generators. */
export const derivedSeed = (...parts: ReadonlyArray<string | number>): number => seedWords(parts)[0] & 0x7fffffff
