import type { PyValue } from "@o1coder/domain"
import { canonicalJson, sha256 } from "@o1coder/domain"

/**
 * Type-aware input mutation in the style of EvalPlus: an argument list is mutated by changing
 * one argument according to its type (ints, floats, bools, strings, lists, tuples, dicts, sets,
 * nested). Deterministic: the same seed inputs, seed and budget give the same mutants.
 */

/** A small deterministic PRNG (mulberry32) seeded from text. */
export class Rng {
  private state: number
  constructor(seed: string | number) {
    this.state = typeof seed === "number" ? seed >>> 0 : parseInt(sha256(seed).slice(0, 8), 16)
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  int(n: number): number {
    return Math.floor(this.next() * n)
  }
  pick<A>(xs: ReadonlyArray<A>): A {
    return xs[this.int(xs.length)]!
  }
  chance(p: number): boolean {
    return this.next() < p
  }
}

/** Bounds that keep mutants small enough for the reference to run quickly. */
const MAX_LEN = 40
const MAX_STR = 60
const MAX_INT_DIGITS = 12

const ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-.,!?"

const mutateInt = (v: string, rng: Rng): PyValue => {
  const n = BigInt(v)
  const ops: Array<() => bigint> = [
    () => n + 1n,
    () => n - 1n,
    () => -n,
    () => 0n,
    () => n + BigInt(rng.int(10) + 2),
    () => n - BigInt(rng.int(10) + 2),
    () => n * 2n,
    () => n / 2n,
    () => BigInt(rng.int(201) - 100),
    // Boundaries: small special values, powers of two and their neighbours, and large values.
    () => BigInt(rng.pick([0, 1, -1, 2, -2, 3, 10, 100])),
    () => (1n << BigInt(rng.int(20))) + BigInt(rng.int(3) - 1),
    () => n * BigInt(10 ** (1 + rng.int(4))) + BigInt(rng.int(10))
  ]
  let out = rng.pick(ops)()
  if (out.toString().replace("-", "").length > MAX_INT_DIGITS) out = n
  return { t: "int", v: out.toString() }
}

const mutateFloat = (v: number | "nan" | "inf" | "-inf", rng: Rng): PyValue => {
  const x = typeof v === "number" ? v : 1.0
  const ops: Array<() => number> = [
    () => x + 1,
    () => x - 1,
    () => -x,
    () => 0,
    () => x * 2,
    () => x / 2,
    () => x + (rng.int(1000) - 500) / 100,
    () => Math.round(x * 10) / 10 + 0.5
  ]
  const out = rng.pick(ops)()
  return { t: "float", v: Number.isFinite(out) ? out : x }
}

const randomChar = (rng: Rng, like: string): string => {
  if (like.length > 0 && rng.chance(0.5)) return like[rng.int(like.length)]!
  return ALPHABET[rng.int(ALPHABET.length)]!
}

const mutateStr = (s: string, rng: Rng): string => {
  const chars = [...s]
  const at = () => rng.int(chars.length + 1)
  const ops: Array<() => Array<string>> = [
    () => {
      const i = at()
      return [...chars.slice(0, i), randomChar(rng, s), ...chars.slice(i)]
    },
    () => {
      if (chars.length === 0) return [randomChar(rng, s)]
      const i = rng.int(chars.length)
      return [...chars.slice(0, i), ...chars.slice(i + 1)]
    },
    () => {
      if (chars.length === 0) return [randomChar(rng, s)]
      const i = rng.int(chars.length)
      return [...chars.slice(0, i), randomChar(rng, s), ...chars.slice(i + 1)]
    },
    () => {
      if (chars.length < 2) return [...chars, ...chars]
      const i = rng.int(chars.length)
      const j = i + 1 + rng.int(chars.length - i)
      return [...chars.slice(0, j), ...chars.slice(i, j), ...chars.slice(j)]
    },
    () => [...chars].reverse(),
    () => chars.map((c) => (rng.chance(0.3) ? (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) : c)),
    () => []
  ]
  return rng.pick(ops)().slice(0, MAX_STR).join("")
}

/** A new element shaped like the existing ones (a mutated copy of one of them). */
const likeElement = (xs: ReadonlyArray<PyValue>, rng: Rng, depth: number): PyValue | undefined =>
  xs.length === 0 ? undefined : mutateValue(rng.pick(xs), rng, depth + 1)

const mutateSequence = (xs: ReadonlyArray<PyValue>, rng: Rng, depth: number): Array<PyValue> => {
  const arr = [...xs]
  const ops: Array<() => Array<PyValue>> = [
    () => {
      // Mutate one element in place.
      if (arr.length === 0) return arr
      const i = rng.int(arr.length)
      arr[i] = mutateValue(arr[i]!, rng, depth + 1)
      return arr
    },
    () => {
      // Insert a new element like the others.
      const e = likeElement(arr, rng, depth)
      if (e === undefined) return arr
      arr.splice(rng.int(arr.length + 1), 0, e)
      return arr
    },
    () => {
      if (arr.length === 0) return arr
      arr.splice(rng.int(arr.length), 1)
      return arr
    },
    () => {
      // Duplicate an element.
      if (arr.length === 0) return arr
      const i = rng.int(arr.length)
      arr.splice(rng.int(arr.length + 1), 0, arr[i]!)
      return arr
    },
    () => {
      if (arr.length < 2) return arr
      const i = rng.int(arr.length)
      const j = rng.int(arr.length)
      ;[arr[i], arr[j]] = [arr[j]!, arr[i]!]
      return arr
    },
    () => arr.reverse(),
    () => arr.slice(0, rng.int(arr.length + 1)),
    () => [],
    () => [...arr, ...arr].slice(0, MAX_LEN)
  ]
  return rng.pick(ops)().slice(0, MAX_LEN)
}

const dedupeByKey = <A>(xs: ReadonlyArray<A>, key: (a: A) => string): Array<A> => {
  const seen = new Set<string>()
  return xs.filter((x) => {
    const k = key(x)
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}

/** One mutation of a value according to its type; nested values are mutated recursively. */
export const mutateValue = (value: PyValue, rng: Rng, depth = 0): PyValue => {
  if (depth > 6) return value
  if (depth === 0 && rng.chance(0.05)) {
    // Rarely, a neighbouring type (as MBPP+'s inputs do): ints as floats or bools, floats as ints.
    if (value.t === "int" && value.v.replace("-", "").length < 16) return rng.chance(0.5) ? { t: "float", v: Number(value.v) + rng.pick([0.5, -0.5, 0.25]) } : { t: "bool", v: rng.chance(0.5) }
    if (value.t === "float" && typeof value.v === "number") return { t: "int", v: String(Math.trunc(value.v)) }
  }
  switch (value.t) {
    case "int":
      return mutateInt(value.v, rng)
    case "float":
      return mutateFloat(value.v, rng)
    case "bool":
      return { t: "bool", v: !value.v }
    case "str":
      return { t: "str", v: mutateStr(value.v, rng) }
    case "list":
      return { t: "list", v: mutateSequence(value.v, rng, depth) }
    case "tuple": {
      // Tuples are often records of fixed shape: mutate one field and keep the length.
      if (value.v.length === 0) return value
      const v = [...value.v]
      const i = rng.int(v.length)
      v[i] = mutateValue(v[i]!, rng, depth + 1)
      return { t: "tuple", v }
    }
    case "set":
      return { t: "set", v: dedupeByKey(mutateSequence(value.v, rng, depth), (x) => canonicalJson(x)) }
    case "dict": {
      const entries = [...value.v]
      const op = rng.int(3)
      if (entries.length > 0 && op === 0) {
        const i = rng.int(entries.length)
        entries[i] = [entries[i]![0], mutateValue(entries[i]![1], rng, depth + 1)]
      } else if (entries.length > 0 && op === 1) entries.splice(rng.int(entries.length), 1)
      else if (entries.length > 0 && entries.length < MAX_LEN) {
        const [k, v] = rng.pick(entries)
        entries.push([mutateValue(k, rng, depth + 1), mutateValue(v, rng, depth + 1)])
      }
      return { t: "dict", v: dedupeByKey(entries, ([k]) => canonicalJson(k)) }
    }
    case "complex":
      return { t: "complex", re: value.re + rng.int(5) - 2, im: value.im + rng.int(5) - 2 }
    default:
      return value
  }
}

/** Mutates one argument of an argument list. */
export const mutateArgs = (args: ReadonlyArray<PyValue>, rng: Rng): ReadonlyArray<PyValue> => {
  if (args.length === 0) return args
  const out = [...args]
  const i = rng.int(out.length)
  out[i] = mutateValue(out[i]!, rng)
  return out
}

export const argsKey = (args: ReadonlyArray<PyValue>): string => canonicalJson(args)

/**
 * Up to `count` new argument lists, distinct from each other and from `exclude`, each made by one
 * to three mutations of an input drawn from `pool`. Deterministic for the same arguments.
 */
export const mutateInputs = (
  pool: ReadonlyArray<ReadonlyArray<PyValue>>,
  count: number,
  rng: Rng,
  exclude: ReadonlySet<string> = new Set()
): Array<ReadonlyArray<PyValue>> => {
  const seen = new Set(exclude)
  for (const p of pool) seen.add(argsKey(p))
  const out: Array<ReadonlyArray<PyValue>> = []
  if (pool.length === 0) return out
  let attempts = 0
  while (out.length < count && attempts < count * 10) {
    attempts++
    let args = rng.pick(pool)
    const rounds = 1 + rng.int(3)
    for (let r = 0; r < rounds; r++) args = mutateArgs(args, rng)
    const key = argsKey(args)
    if (seen.has(key)) continue
    seen.add(key)
    out.push(args)
  }
  return out
}
