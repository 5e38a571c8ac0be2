import { type RawJson, RawNumber, toPython } from "./Json.ts"

/**
 * MBPP+ stores argument lists as JSON, which has no tuples, sets or complex numbers. EvalPlus
 * restores those types per task when it loads the inputs (its `mbpp_deserialize_inputs`);
 * without that, canonical solutions crash on some inputs (e.g. Mbpp/252 gets the string
 * "(1+2j)", Mbpp/720 concatenates a list with a tuple). This table applies the same per-task
 * restoration, written as Python source for each argument.
 */

type Rebuild = (args: ReadonlyArray<RawJson>) => ReadonlyArray<string>

const tupleOf = (items: ReadonlyArray<string>): string =>
  items.length === 1 ? `(${items[0]},)` : `(${items.join(", ")})`
const listOf = (items: ReadonlyArray<string>): string => `[${items.join(", ")}]`
const asArray = (v: RawJson): ReadonlyArray<RawJson> | undefined => (Array.isArray(v) ? v : undefined)

/** `tuple(v)` as a literal when `v` is a list. */
const tuple = (v: RawJson): string => {
  const a = asArray(v)
  return a === undefined ? `tuple(${toPython(v)})` : tupleOf(a.map(toPython))
}
/** A list whose items each become a tuple. */
const listOfTuples = (v: RawJson): string => {
  const a = asArray(v)
  return a === undefined ? toPython(v) : listOf(a.map(tuple))
}
const deepTuple = (v: RawJson): string => {
  const a = asArray(v)
  return a === undefined ? toPython(v) : tupleOf(a.map(deepTuple))
}

const everyArg = (f: (v: RawJson) => string): Rebuild => (args) => args.map(f)

const groups: ReadonlyArray<readonly [ReadonlyArray<number>, Rebuild]> = [
  [[2, 116, 132, 143, 222, 261, 273, 394, 399, 421, 424, 429, 470, 560, 579, 596, 616, 630, 726, 740, 744, 809], everyArg(tuple)],
  [[63, 64, 70, 94, 120, 237, 272, 299, 400, 409, 417, 438, 473, 614, 780], everyArg(listOfTuples)],
  [[75, 413, 444, 753], (a) => [listOfTuples(a[0]!), toPython(a[1]!)]],
  [[106, 750], (a) => [toPython(a[0]!), tuple(a[1]!)]],
  [
    [115],
    (a) => [
      listOf(
        (asArray(a[0]!) ?? []).map((item) => {
          const xs = asArray(item)
          // EvalPlus writes `{}` (an empty dict) for an empty list here; kept as it does.
          return xs !== undefined && xs.length > 0 ? `{${xs.map(toPython).join(", ")}}` : "{}"
        })
      )
    ]
  ],
  [[124], (a) => [`float(${toPython(a[0]!)})`, `complex(${toPython(a[1]!)})`]],
  [[250, 405, 446, 617, 720, 763, 808], (a) => [tuple(a[0]!), toPython(a[1]!)]],
  [[259, 401, 445], everyArg((v) => tupleOf((asArray(v) ?? []).map(tuple)))],
  [[278], (a) => [tupleOf((asArray(a[0]!) ?? []).map((item) => (asArray(item) ? tuple(item) : toPython(item))))]],
  [[307], (a) => [tuple(a[0]!), toPython(a[1]!), toPython(a[2]!)]],
  [
    [722],
    (a) => {
      const d = a[0]
      const dict =
        typeof d === "object" && d !== null && !Array.isArray(d) && !(d instanceof RawNumber)
          ? `{${Object.entries(d as Record<string, RawJson>).map(([k, v]) => `${toPython(k)}: ${tuple(v)}`).join(", ")}}`
          : toPython(d!)
      return [dict, ...a.slice(1).map(toPython)]
    }
  ],
  [[252], (a) => [`complex(${toPython(a[0]!)})`]],
  [[580, 615, 791], everyArg(deepTuple)]
]

const byTask = new Map<number, Rebuild>(groups.flatMap(([tasks, f]) => tasks.map((t) => [t, f] as const)))

/** One MBPP+ argument list (JSON) as the Python text inside the call's parentheses. */
export const mbppPlusArgs = (task: number, args: ReadonlyArray<RawJson>): string =>
  (byTask.get(task) ?? everyArg(toPython))(args).join(", ")

/** Does the task need types JSON cannot carry? */
export const restoresTypes = (task: number): boolean => byTask.has(task)
