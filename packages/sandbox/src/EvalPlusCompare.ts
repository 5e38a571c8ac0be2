import { digestFloats, type EvalPlusCheck, pyEqual, type PyValue, type Tolerance } from "@o1coder/domain"

/**
 * EvalPlus's verdict for one input (evalplus/eval/__init__.py, `unsafe_execute`), on encoded values:
 *
 *   exact = out == exp                      (Python's ==: floats exact, NaN unequal to NaN)
 *   special oracle (may replace or widen exact; an exception in it fails the input)
 *   if not exact and atol != 0:
 *       type(out) == type(exp); len(out) == len(exp) for a list/tuple; np.allclose(out, exp, rtol=1e-07, atol)
 *   else: exact
 *
 * `check.atol` is already the value EvalPlus holds at this input (its float rule applied when labelling).
 * Heavy values arrive as digests: equal digests are exact equality; for two flat float sequences the packed
 * floats give np.allclose; any other digested pair that differs fails (as EvalPlus's allclose would raise
 * for non-numeric data; nested float arrays that heavy and only close are the one case judged stricter).
 */
export const EXACT: Tolerance = { rel: 0, abs: 0, nanEqual: false }

export const RTOL = 1e-7

type Cx = { readonly re: number; readonly im: number }

const numeric = (x: PyValue): Cx | undefined => {
  switch (x.t) {
    case "bool":
      return { re: x.v ? 1 : 0, im: 0 }
    case "int":
      return { re: Number(x.v), im: 0 }
    case "float":
      return { re: x.v === "nan" ? NaN : x.v === "inf" ? Infinity : x.v === "-inf" ? -Infinity : x.v, im: 0 }
    case "complex":
      return { re: x.re, im: x.im }
    default:
      return undefined
  }
}

const cabs = (z: Cx): number => Math.hypot(z.re, z.im)

/** numpy's isclose(a, b) with b the expected value: |a - b| <= atol + rtol * |b|; infinities equal only themselves. */
const isClose = (a: Cx, b: Cx, atol: number): boolean => {
  const finite = Number.isFinite(a.re) && Number.isFinite(a.im) && Number.isFinite(b.re) && Number.isFinite(b.im)
  if (!finite) return a.re === b.re && a.im === b.im
  return cabs({ re: a.re - b.re, im: a.im - b.im }) <= atol + RTOL * cabs(b)
}

interface NdArray {
  readonly shape: ReadonlyArray<number>
  readonly data: ReadonlyArray<Cx>
}

/** The numeric array numpy would build from a value (nested lists/tuples of numbers, rectangular); else undefined. */
const INT64 = 2n ** 63n

const toArray = (x: PyValue): NdArray | undefined => {
  // numpy keeps an int beyond int64 as a Python object, and allclose on it raises
  if (x.t === "int" && x.v.length >= 19 && (x.v.replace("-", "").length > 19 || BigInt(x.v) >= INT64 || BigInt(x.v) < -INT64)) return undefined
  const n = numeric(x)
  if (n !== undefined) return { shape: [], data: [n] }
  if (x.t !== "list" && x.t !== "tuple") return undefined
  const parts: Array<NdArray> = []
  for (const e of x.v) {
    const a = toArray(e)
    if (a === undefined) return undefined
    if (parts.length > 0 && a.shape.join(",") !== parts[0]!.shape.join(",")) return undefined
    parts.push(a)
  }
  return { shape: [x.v.length, ...(parts[0]?.shape ?? [])], data: parts.flatMap((p) => p.data) }
}

const allClose = (out: PyValue, exp: PyValue, atol: number): boolean => {
  if (out.t === "digest" || exp.t === "digest") {
    if (out.t !== "digest" || exp.t !== "digest" || out.q === undefined || exp.q === undefined || out.n !== exp.n) return false
    const xs = digestFloats(out.q)
    const ys = digestFloats(exp.q)
    return xs.length === ys.length && xs.every((x, i) => isClose({ re: x, im: 0 }, { re: ys[i]!, im: 0 }, atol))
  }
  const a = toArray(out)
  const b = toArray(exp)
  if (a === undefined || b === undefined || a.shape.join(",") !== b.shape.join(",")) return false
  return a.data.every((z, i) => isClose(z, b.data[i]!, atol))
}

/** Python's type() as the encoding tells it (a digest knows its container). */
const typeOf = (x: PyValue): string => (x.t === "digest" ? x.c : x.t === "unrepresentable" ? `?${x.type}` : x.t)

const lengthOf = (x: PyValue): number | undefined =>
  x.t === "list" || x.t === "tuple" ? x.v.length : x.t === "digest" ? x.n : undefined

const unhashable = (x: PyValue): boolean =>
  x.t === "list" || x.t === "set" || x.t === "dict" || (x.t === "tuple" && x.v.some(unhashable)) || (x.t === "digest" && x.c !== "tuple")

/** `set(x)` of an encoded value: its distinct elements; undefined where Python raises (or a digest hides them). */
const asSet = (x: PyValue): PyValue | undefined => {
  let items: ReadonlyArray<PyValue>
  if (x.t === "list" || x.t === "tuple" || x.t === "set") items = x.v
  else if (x.t === "dict") items = x.v.map(([k]) => k)
  else if (x.t === "str") items = [...x.v].map((c): PyValue => ({ t: "str", v: c }))
  else if (x.t === "bytes") items = [...x.v].map((c): PyValue => ({ t: "int", v: String(c.charCodeAt(0)) }))
  else return undefined
  if (items.some(unhashable)) return undefined
  const distinct: Array<PyValue> = []
  for (const e of items) if (!distinct.some((d) => pyEqual(d, e, EXACT))) distinct.push(e)
  return { t: "set", v: distinct }
}

const isZero = (x: PyValue): boolean => {
  const n = numeric(x)
  return n !== undefined && n.re === 0 && n.im === 0
}

/** Whether EvalPlus passes the input; `alt` is the oracle's alternative expected value (alt_eq, alt_abs). */
export const evalplusPasses = (out: PyValue, exp: PyValue, check: EvalPlusCheck, alt?: PyValue | undefined): boolean => {
  let exact = pyEqual(exp, out, EXACT)
  switch (check.oracle) {
    case "any":
      exact = true
      break
    case "or_zero":
      exact = exact || isZero(out)
      break
    case "alt_eq":
      exact = exact || (alt !== undefined && pyEqual(alt, out, EXACT))
      break
    case "alt_abs": {
      if (!exact) {
        const a = numeric(out)
        const b = alt === undefined ? undefined : numeric(alt)
        if (a === undefined || b === undefined) return false // abs(out - alt) raises
        exact = cabs({ re: a.re - b.re, im: a.im - b.im }) <= (check.oracleAtol ?? 0)
      }
      break
    }
    case "set_eq": {
      const so = asSet(out)
      const se = asSet(exp)
      if (so === undefined || se === undefined) return false // set() raises
      exact = pyEqual(se, so, EXACT)
      break
    }
    case "not_none":
      exact = out.t === "bool" ? pyEqual(exp, out, EXACT) : pyEqual(exp, { t: "bool", v: out.t !== "none" }, EXACT)
      break
    case undefined:
      break
  }
  if (exact || check.atol === 0) return exact
  if (typeOf(out) !== typeOf(exp)) return false
  const n = lengthOf(exp)
  if (n !== undefined && lengthOf(out) !== n) return false
  return allClose(out, exp, check.atol)
}

/** EvalPlus's `is_floats`: a float, or a non-empty list/tuple of floats (a digest carries its floats when flat). */
export const isFloats = (x: PyValue): boolean =>
  x.t === "float" ||
  ((x.t === "list" || x.t === "tuple") && x.v.length > 0 && x.v.every((e) => e.t === "float")) ||
  (x.t === "digest" && (x.c === "list" || x.c === "tuple") && x.q !== undefined && x.n > 0)
