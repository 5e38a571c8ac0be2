/**
 * The placeholders of training and serving templates (`command`, `outputSpec`, `checkpoint`,
 * `serve.*`). Each means one thing; `{name}` with any other name is an error before any work.
 * `${...}` is shell syntax and left alone.
 */
export const PLACEHOLDERS = {
  base_model_path: "HF id or checkpoint directory of the parent version (what a trainer loads)",
  base_model_spec: "model spec of the parent version (what o1coder samples from)",
  parent_version: "model_versions id of the parent version",
  dataset: "path of the first dataset file",
  dataset_format: "format of the first dataset (datasets.format, e.g. prompt-completion, trl-stepwise, preference, parquet)",
  datasets_json: "JSON array of every dataset path",
  output_dir: "directory the job writes its checkpoint to",
  job_id: "the training job's id",
  stage: "the training stage (policy-sft, prm, policy-dpo, policy-rl, tcg)",
  run_id: "the self-play run's id",
  round: "the round number"
} as const

export type Placeholder = keyof typeof PLACEHOLDERS
export type PlaceholderValues = { readonly [K in Placeholder]: string | undefined }

const PATTERN = /(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}/g

const isKnown = (name: string): name is Placeholder => Object.prototype.hasOwnProperty.call(PLACEHOLDERS, name)

/** The placeholders a template uses (shell `${...}` excluded), in order of first use. */
export const placeholdersIn = (template: string): ReadonlyArray<string> => {
  const out = new Set<string>()
  for (const m of template.matchAll(PATTERN)) if (m[1] === "") out.add(m[2]!)
  return [...out]
}

export const knownPlaceholders = (): string => Object.keys(PLACEHOLDERS).map((k) => `{${k}}`).join(" ")

const hints: Record<string, string> = {
  base_model: "use {base_model_path} (HF id or checkpoint directory) or {base_model_spec} (model spec)"
}

/** One line per unknown placeholder of `template` (empty when every name is known). */
export const unknownPlaceholders = (template: string): ReadonlyArray<string> =>
  placeholdersIn(template)
    .filter((name) => !isKnown(name))
    .map((name) => `unknown placeholder {${name}}${hints[name] !== undefined ? `: ${hints[name]}` : ""}; known: ${knownPlaceholders()}`)

export const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`

/** Placeholders the template uses that have no value here (e.g. {base_model_path} of a version without a checkpoint). */
export const missingPlaceholders = (template: string, values: PlaceholderValues): ReadonlyArray<Placeholder> =>
  placeholdersIn(template).filter((name): name is Placeholder => isKnown(name) && values[name] === undefined)

/**
 * Replaces every `{placeholder}` by its value (shell-quoted when `quote`). Callers check
 * `unknownPlaceholders` and `missingPlaceholders` first; a name left over is kept as written.
 */
export const render = (template: string, values: PlaceholderValues, quote: boolean): string =>
  template.replace(PATTERN, (whole, dollar: string, name: string) => {
    if (dollar !== "" || !isKnown(name)) return whole
    const value = values[name]
    if (value === undefined) return whole
    return quote ? shellQuote(value) : value
  })
