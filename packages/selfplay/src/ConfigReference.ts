import { JSONSchema, Schema } from "effect"
import { RunConfig } from "./RunConfig.ts"

/**
 * docs/CONFIG.md: every run-config field with its type, default and meaning, read from the
 * RunConfig Schema (descriptions are the fields' `description` annotations; defaults are what
 * decoding a minimal configuration fills in). `scripts/config-reference.ts` writes the file and a
 * test fails when it differs from what the Schema says now.
 */

type Json = {
  readonly type?: string
  readonly enum?: ReadonlyArray<unknown>
  readonly anyOf?: ReadonlyArray<Json>
  readonly properties?: Readonly<Record<string, Json>>
  readonly required?: ReadonlyArray<string>
  readonly additionalProperties?: boolean | Json
  readonly items?: Json
  readonly description?: string
  readonly title?: string
  readonly minimum?: number
  readonly maximum?: number
  readonly exclusiveMinimum?: number
  readonly minItems?: number
}

export interface FieldDoc {
  readonly path: string
  readonly type: string
  readonly required: boolean
  readonly default: string | undefined
  readonly description: string | undefined
}

/**
 * A configuration with every required field and every optional section (one of each mapping's
 * entries), nothing else: decoding it fills in every default.
 */
const MINIMAL = {
  name: "x",
  problems: { dataset: "x" },
  models: { policy: "x", checkpoints: {} },
  training: { backend: "local", stages: { sft: { serve: { url: "x", command: "x" } } }, slurm: {}, ray: { address: "x" } }
}
/** Which entry of MINIMAL stands for a mapping's `<key>` and a list's `[]`. */
const SAMPLE_KEY: Readonly<Record<string, string>> = { "<stage>": "sft", "[]": "0" }

// The refinements' own descriptions ("a positive number") say the type, not the meaning.
const isTypeDescription = (d: string | undefined) => d === undefined || /^an? (non[ -]empty string|positive number|non-negative number|integer|number between)/.test(d)

const typeOf = (s: Json): string => {
  if (s.enum !== undefined) return s.enum.map((v) => JSON.stringify(v)).join(" | ")
  if (s.anyOf !== undefined) return s.anyOf.map(typeOf).join(" | ")
  switch (s.type) {
    case "string":
      return "text"
    case "boolean":
      return "true | false"
    case "integer":
    case "number": {
      const base = s.type === "integer" ? "integer" : "number"
      if (s.minimum !== undefined && s.maximum !== undefined) return `${base} in [${s.minimum}, ${s.maximum}]`
      if (s.exclusiveMinimum !== undefined) return `${base} > ${s.exclusiveMinimum}`
      if (s.minimum !== undefined) return `${base} ≥ ${s.minimum}`
      return base
    }
    case "array":
      return `list of ${s.items === undefined ? "values" : typeOf(s.items)}${s.minItems ? ` (at least ${s.minItems})` : ""}`
    case "object":
      return s.properties !== undefined && Object.keys(s.properties).length > 0
        ? "mapping"
        : "mapping of text to text"
    default:
      return "value"
  }
}

const at = (value: unknown, path: ReadonlyArray<string>): unknown =>
  path
    .flatMap((k) => (k.endsWith("[]") ? [k.slice(0, -2), "[]"] : [k]))
    .reduce<unknown>((v, k) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[SAMPLE_KEY[k] ?? k] : undefined), value)

/** Every field, depth first, in the Schema's order; a mapping whose entries share one shape is documented once as `<key>`. */
export const configFields = (): ReadonlyArray<FieldDoc> => {
  const root = JSONSchema.make(RunConfig) as Json
  const defaults = Schema.decodeUnknownSync(RunConfig)(MINIMAL)
  const out: Array<FieldDoc> = []
  const visit = (s: Json, path: ReadonlyArray<string>, required: boolean, inDefaults: boolean) => {
    const shown = path.join(".")
    // A default is what decoding added: values MINIMAL gives are not defaults.
    const value = inDefaults && at(MINIMAL, path) === undefined ? at(defaults, path) : undefined
    const isStruct = s.type === "object" && s.properties !== undefined && Object.keys(s.properties).length > 0
    const entries = Object.entries(s.properties ?? {})
    // A mapping of like structs (training.stages) is documented once, as `<stage>`.
    const shared =
      isStruct && entries.length > 1 && entries[0]![1].type === "object" && entries.every(([, e]) => JSON.stringify(e) === JSON.stringify(entries[0]![1]))
    if (path.length > 0) {
      out.push({
        path: shown,
        type: shared ? `mapping of ${entries.map(([k]) => k).join(", ")}` : typeOf(s),
        required,
        default: value === undefined || isStruct ? undefined : JSON.stringify(value),
        description: isTypeDescription(s.description) ? undefined : s.description
      })
    }
    if (shared) {
      const [, entry] = entries[0]!
      for (const [k, e] of Object.entries(entry.properties ?? {})) visit(e, [...path, "<stage>", k], (entry.required ?? []).includes(k), inDefaults)
      return
    }
    if (isStruct) for (const [k, e] of entries) visit(e, [...path, k], (s.required ?? []).includes(k), inDefaults)
    if (s.type === "array" && s.items?.type === "object" && s.items.properties !== undefined) {
      for (const [k, e] of Object.entries(s.items.properties)) visit(e, [...path.slice(0, -1), `${path.at(-1)}[]`, k], (s.items.required ?? []).includes(k), inDefaults)
    }
  }
  visit(root, [], true, true)
  return out
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ")

export const configReference = (): string => {
  const fields = configFields()
  const sections = new Map<string, Array<FieldDoc>>()
  for (const f of fields) {
    const top = f.path.includes(".") || f.type === "mapping" ? f.path.split(".")[0]! : "Top level"
    sections.set(top, [...(sections.get(top) ?? []), f])
  }
  const lines = [
    "# Run configuration reference",
    "",
    "<!-- Generated from the RunConfig Schema (packages/selfplay/src/RunConfig.ts) by",
    "     `npx tsx scripts/config-reference.ts`; a test fails when this file is out of date. -->",
    "",
    "A run is configured by one YAML or JSON file (`o1coder init` writes a commented one; `o1coder run",
    "--config FILE` validates it and names a bad field by its path). The run's id is its name plus a hash",
    "of the whole file, so the same file continues the same run. Required fields are marked **required**;",
    "every other field has the default shown, or is unset when none is shown.",
    ""
  ]
  for (const [top, rows] of sections) {
    lines.push(`## ${top}`, "", "| field | type | default | meaning |", "|---|---|---|---|")
    for (const f of rows) {
      const dflt = f.required ? "**required**" : f.default === undefined ? "" : `\`${f.default}\``
      lines.push(`| \`${f.path}\` | ${cell(f.type)} | ${cell(dflt)} | ${cell(f.description ?? "")} |`)
    }
    lines.push("")
  }
  return lines.join("\n")
}
