import type { Problem, PyValue, Test } from "@o1coder/domain"
import { parsePyArgs, parsePyValue, PyParseFailure, pySource } from "@o1coder/domain"
import { parseAssert } from "./TcgFormat.ts"

/**
 * Trivial programs made from a problem and its suite: a reward suite must fail every one of them
 * (a constant `return -1` that passes all 11 tests of a binary search earns full reward). For a
 * function: a constant return of each output value the suite expects, each argument returned as
 * is, empty containers, `0`, `None`, `True`, `False` and a raise. For stdin/stdout: no output,
 * the input echoed, each expected output printed, a raise.
 */
export interface Baseline {
  readonly name: string
  readonly code: string
}

/** The suite's call tests as (arguments, expected) sources; assert tests parsed when they are plain `f(...) == v`. */
const calls = (tests: ReadonlyArray<Test>, entryPoint: string): ReadonlyArray<{ readonly args: string; readonly expected: string }> =>
  tests.flatMap((t) => {
    if (t._tag === "call") return [{ args: t.args, expected: t.expected }]
    if (t._tag === "assert") {
      const parsed = parseAssert(t.source, entryPoint)
      return typeof parsed === "string" ? [] : [{ args: parsed.args, expected: parsed.expected }]
    }
    return []
  })

/** A value's canonical source (so `1.0` and `1.00` are one constant), or the text as written. */
const canonical = (source: string): string => {
  const v = parsePyValue(source)
  return v instanceof PyParseFailure ? source.trim() : (pySource(v) ?? source.trim())
}

const short = (s: string) => (s.length > 40 ? `${s.slice(0, 37)}...` : s)

const FIXED: ReadonlyArray<readonly [string, string]> = [
  ["empty list", "[]"],
  ["empty dict", "{}"],
  ["empty tuple", "()"],
  ["empty set", "set()"],
  ["empty string", "''"],
  ["zero", "0"],
  ["None", "None"],
  ["True", "True"],
  ["False", "False"]
]

/** At most this many constants (the most frequent outputs first): more are always killed anyway. */
const MAX_CONSTANTS = 48

export const functionBaselines = (entryPoint: string, tests: ReadonlyArray<Test>): ReadonlyArray<Baseline> => {
  const def = (body: string) => `def ${entryPoint}(*args, **kwargs):\n    ${body}\n`
  const cases = calls(tests, entryPoint)
  const counts = new Map<string, number>()
  for (const c of cases) counts.set(canonical(c.expected), (counts.get(canonical(c.expected)) ?? 0) + 1)
  const constants = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, MAX_CONSTANTS).map(([v]) => v)
  const arity = Math.max(0, ...cases.map((c) => {
    const args = parsePyArgs(c.args)
    return args instanceof PyParseFailure ? 0 : args.length
  }))
  const seen = new Set<string>()
  const out: Array<Baseline> = []
  const add = (name: string, body: string) => {
    if (seen.has(body)) return
    seen.add(body)
    out.push({ name, code: def(body) })
  }
  for (const v of constants) add(`constant ${short(v)}`, `return ${v}`)
  for (let i = 0; i < arity; i++) add(`argument ${i}`, `return args[${i}]`)
  for (const [name, v] of FIXED) add(name, `return ${v}`)
  add("raises", `raise ValueError("trivial baseline")`)
  return out
}

export const stdioBaselines = (tests: ReadonlyArray<Test>): ReadonlyArray<Baseline> => {
  const outputs = [...new Set(tests.flatMap((t) => (t._tag === "stdio" ? [t.output] : [])))].slice(0, MAX_CONSTANTS)
  return [
    { name: "no output", code: "pass\n" },
    { name: "echo input", code: "import sys\nsys.stdout.write(sys.stdin.read())\n" },
    ...outputs.map((o) => ({ name: `prints ${short(JSON.stringify(o))}`, code: `import sys\nsys.stdout.write(${JSON.stringify(o)})\n` })),
    { name: "raises", code: `raise ValueError("trivial baseline")\n` }
  ]
}

/** The trivial baselines of a problem for this suite. */
export const baselinesFor = (problem: Pick<Problem, "kind" | "entryPoint">, tests: ReadonlyArray<Test>): ReadonlyArray<Baseline> =>
  problem.kind === "function"
    ? problem.entryPoint === undefined ? [] : functionBaselines(problem.entryPoint, tests)
    : stdioBaselines(tests)

// -- inputs built to change the output --------------------------------------------------------

type Rng = { int(n: number): number }

const sortKey = (v: PyValue): number | string | undefined =>
  v.t === "int" ? Number(v.v) : v.t === "float" && typeof v.v === "number" ? v.v : v.t === "str" ? v.v : undefined

const sorted = (xs: ReadonlyArray<PyValue>, descending: boolean): ReadonlyArray<PyValue> | undefined => {
  const keys = xs.map(sortKey)
  if (keys.some((k) => k === undefined) || new Set(keys.map((k) => typeof k)).size > 1) return undefined
  const order = xs.map((x, i) => [x, keys[i]!] as const).sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
  const out = order.map(([x]) => x)
  return descending ? out.reverse() : out
}

const sameKind = (a: PyValue, b: PyValue) => a.t === b.t || (a.t === "int" && b.t === "float") || (a.t === "float" && b.t === "int")

const SMALL_INTS = ["0", "1", "2", "3", "5", "10"]

/**
 * Inputs shaped to make the output vary, from seed argument lists: list arguments sorted (either
 * way), a scalar argument set to an element of a list argument (its first, last or a random one:
 * a search that finds something), a string argument set to a piece of another, small integers,
 * arguments of one type made equal.
 * Deterministic for the same seeds and rng.
 */
export const builtInputs = (seeds: ReadonlyArray<ReadonlyArray<PyValue>>, rng: Rng, limit = 120): Array<ReadonlyArray<PyValue>> => {
  const out: Array<ReadonlyArray<PyValue>> = []
  const push = (args: ReadonlyArray<PyValue>) => {
    if (out.length < limit) out.push(args)
  }
  for (const seed of seeds) {
    const withArg = (args: ReadonlyArray<PyValue>, i: number, v: PyValue) => args.map((a, k) => (k === i ? v : a))
    const variants: Array<ReadonlyArray<PyValue>> = [seed]
    seed.forEach((a, i) => {
      if (a.t !== "list" && a.t !== "tuple") return
      for (const descending of [false, true]) {
        const s = sorted(a.v, descending)
        if (s !== undefined) variants.push(withArg(seed, i, { t: a.t, v: s } as PyValue))
      }
    })
    for (const args of variants) {
      push(args)
      args.forEach((a, i) => {
        if (a.t === "list" || a.t === "tuple") {
          if (a.v.length === 0) return
          args.forEach((b, j) => {
            if (j === i || !sameKind(a.v[0]!, b)) return
            for (const k of [0, a.v.length - 1, rng.int(a.v.length)]) push(withArg(args, j, a.v[k]!))
          })
        }
        if (a.t === "str" && a.v.length > 0) {
          args.forEach((b, j) => {
            if (j === i || b.t !== "str") return
            const from = rng.int(a.v.length)
            push(withArg(args, j, { t: "str", v: a.v.slice(from, from + 1 + rng.int(a.v.length - from)) }))
          })
        }
        if (a.t === "int") for (const n of SMALL_INTS) push(withArg(args, i, { t: "int", v: n }))
        if (a.t === "int" || a.t === "float" || a.t === "str") {
          // Equal arguments (an equilateral triangle, a == b): one copied, then all of a kind.
          args.forEach((b, j) => {
            if (j !== i && b.t === a.t) push(withArg(args, j, a))
          })
          push(args.map((b) => (b.t === a.t ? a : b)))
        }
      })
    }
  }
  return out
}
