import { Schema } from "effect"

/**
 * A Python value as it crosses the sandbox boundary: a strict, typed encoding produced by the
 * trusted runner (never by calling methods of the candidate's objects), compared in TypeScript.
 * Ints are decimal strings (Python ints are unbounded); floats carry nan/inf as strings. A value heavier
 * than the sandbox's digest threshold crosses as a `digest`: the sha256 of its canonical form (equal values,
 * by the judging rules, have equal digests), its weight, container and length, and for a flat list or tuple
 * of floats the floats themselves (`q`, little-endian float64, base64) so that a tolerance still applies.
 */
export type PyValue =
  | { readonly t: "none" }
  | { readonly t: "bool"; readonly v: boolean }
  | { readonly t: "int"; readonly v: string }
  | { readonly t: "float"; readonly v: number | "nan" | "inf" | "-inf" }
  | { readonly t: "complex"; readonly re: number; readonly im: number }
  | { readonly t: "str"; readonly v: string }
  | { readonly t: "bytes"; readonly v: string }
  | { readonly t: "list"; readonly v: ReadonlyArray<PyValue> }
  | { readonly t: "tuple"; readonly v: ReadonlyArray<PyValue> }
  | { readonly t: "set"; readonly v: ReadonlyArray<PyValue> }
  | { readonly t: "dict"; readonly v: ReadonlyArray<readonly [PyValue, PyValue]> }
  | { readonly t: "unrepresentable"; readonly type: string }
  | { readonly t: "digest"; readonly h: string; readonly w: number; readonly c: string; readonly n: number; readonly q?: string | undefined }

export const PyValue: Schema.Schema<PyValue> = Schema.Union(
  Schema.Struct({ t: Schema.Literal("none") }),
  Schema.Struct({ t: Schema.Literal("bool"), v: Schema.Boolean }),
  Schema.Struct({ t: Schema.Literal("int"), v: Schema.String }),
  Schema.Struct({ t: Schema.Literal("float"), v: Schema.Union(Schema.Number, Schema.Literal("nan", "inf", "-inf")) }),
  Schema.Struct({ t: Schema.Literal("complex"), re: Schema.Number, im: Schema.Number }),
  Schema.Struct({ t: Schema.Literal("str"), v: Schema.String }),
  Schema.Struct({ t: Schema.Literal("bytes"), v: Schema.String }),
  Schema.Struct({ t: Schema.Literal("list"), v: Schema.Array(Schema.suspend(() => PyValue)) }),
  Schema.Struct({ t: Schema.Literal("tuple"), v: Schema.Array(Schema.suspend(() => PyValue)) }),
  Schema.Struct({ t: Schema.Literal("set"), v: Schema.Array(Schema.suspend(() => PyValue)) }),
  Schema.Struct({
    t: Schema.Literal("dict"),
    v: Schema.Array(Schema.Tuple(Schema.suspend(() => PyValue), Schema.suspend(() => PyValue)))
  }),
  Schema.Struct({ t: Schema.Literal("unrepresentable"), type: Schema.String }),
  Schema.Struct({ t: Schema.Literal("digest"), h: Schema.String, w: Schema.Number, c: Schema.String, n: Schema.Number, q: Schema.optional(Schema.String) })
)
