import type { Command } from "@effect/cli"
import { wrap } from "./Output.ts"

/**
 * `--help` text, rendered by us from the commands' own definitions (@effect/cli's renderer pads
 * the command list to the longest usage line, repeats type boilerplate for every option and shows
 * `$ submit` for `o1coder train submit`). Fits `width` columns; plain text, no colour.
 *
 * A command's description is its help: the first line is the summary shown in lists; then
 * paragraphs (a blank line between them), rewrapped; lines starting with spaces are kept as they
 * are (examples).
 */

// The definitions are @effect/cli's internal data (pinned 0.77.2): `_tag`ged trees of options,
// args and command descriptors. Only what help needs is read.
type Node = { readonly _tag: string; readonly [key: string]: any }

export interface OptionHelp {
  readonly names: ReadonlyArray<string>
  readonly value: string | undefined
  readonly description: string
  readonly default: string | undefined
  readonly repeated: boolean
  readonly required: boolean
}

export interface ArgHelp {
  readonly name: string
  readonly description: string
  readonly required: boolean
  readonly repeated: boolean
}

export interface CommandHelp {
  readonly path: ReadonlyArray<string>
  readonly description: string
  readonly options: ReadonlyArray<OptionHelp>
  readonly args: ReadonlyArray<ArgHelp>
  readonly subcommands: ReadonlyArray<CommandHelp>
}

/** The plain text of a HelpDoc (paragraphs separated by newlines). */
const docText = (doc: Node | undefined): string => {
  if (doc === undefined) return ""
  switch (doc._tag) {
    case "Paragraph":
      return spanText(doc.value)
    case "Sequence":
      return [docText(doc.left), docText(doc.right)].filter((t) => t !== "").join("\n")
    default:
      return ""
  }
}
const spanText = (span: Node): string =>
  span._tag === "Sequence" ? spanText(span.left) + spanText(span.right) : typeof span.value === "string" ? span.value : ""

const valueName = (primitive: Node, pseudoName: Node): string | undefined => {
  if (pseudoName?._tag === "Some") return String(pseudoName.value)
  switch (primitive._tag) {
    case "Bool":
      return undefined
    case "Choice":
      return (primitive.alternatives as ReadonlyArray<readonly [string, unknown]>).map(([name]) => name).join("|")
    case "Integer":
      return "N"
    case "Float":
      return "X"
    case "Path":
      return primitive.pathType === "directory" ? "DIR" : "FILE"
    default:
      return "TEXT"
  }
}

const shownDefault = (fallback: unknown): string | undefined => {
  if (fallback === undefined || fallback === false || fallback === null) return undefined
  if (typeof fallback === "object" && fallback !== null && "_tag" in fallback) return undefined // Option.none(): optional
  if (Array.isArray(fallback)) return fallback.length === 0 ? undefined : fallback.join(",")
  return String(fallback)
}

export const optionsOf = (node: Node | undefined, modifiers: { default?: string | undefined; optional?: boolean; repeated?: boolean } = {}): Array<OptionHelp> => {
  if (node === undefined) return []
  switch (node._tag) {
    case "Single":
      return [
        {
          names: [node.fullName as string, ...(node.aliases as ReadonlyArray<string>).map((a) => (a.length === 1 ? `-${a}` : `--${a}`))],
          value: valueName(node.primitiveType, node.pseudoName),
          description: docText(node.description),
          default: modifiers.default,
          repeated: modifiers.repeated ?? false,
          required: !(modifiers.optional ?? false) && modifiers.default === undefined && node.primitiveType._tag !== "Bool"
        }
      ]
    case "Both":
    case "OrElse":
      return [...optionsOf(node.left, modifiers), ...optionsOf(node.right, modifiers)]
    case "Map":
      return optionsOf(node.options, modifiers)
    case "WithDefault":
      return optionsOf(node.options, { ...modifiers, default: shownDefault(node.fallback), optional: true })
    case "WithFallback":
      return optionsOf(node.options, { ...modifiers, optional: true })
    case "Variadic":
    case "KeyValueMap":
      return optionsOf(node.argumentOption, { ...modifiers, repeated: true, optional: true })
    default:
      return []
  }
}

export const argsOf = (node: Node | undefined, modifiers: { optional?: boolean; repeated?: boolean } = {}): Array<ArgHelp> => {
  if (node === undefined) return []
  switch (node._tag) {
    case "Single":
      return [{ name: String(node.name).replace(/^<|>$/g, ""), description: docText(node.description), required: !(modifiers.optional ?? false), repeated: modifiers.repeated ?? false }]
    case "Both":
      return [...argsOf(node.left, modifiers), ...argsOf(node.right, modifiers)]
    case "Map":
      return argsOf(node.args, modifiers)
    case "WithDefault":
    case "WithFallbackConfig":
      return argsOf(node.args, { ...modifiers, optional: true })
    case "Variadic":
      return argsOf(node.args, { ...modifiers, repeated: true, optional: (node.min?._tag === "Some" ? node.min.value : 0) === 0 })
    default:
      return []
  }
}

/** The help of a command and its subcommands, read from its descriptor. */
export const describeDescriptor = (descriptor: Node, parent: ReadonlyArray<string> = []): CommandHelp => {
  switch (descriptor._tag) {
    case "Map":
      return describeDescriptor(descriptor.command, parent)
    case "Subcommands": {
      const own = describeDescriptor(descriptor.parent, parent)
      const children = (descriptor.children as ReadonlyArray<Node>).map((c) => describeDescriptor(c, own.path))
      return { ...own, subcommands: children }
    }
    default:
      return {
        path: [...parent, descriptor.name as string],
        description: docText(descriptor.description),
        options: optionsOf(descriptor.options),
        args: argsOf(descriptor.args),
        subcommands: []
      }
  }
}

export const describeCommand = (command: Command.Command<any, any, any, any>, parent: ReadonlyArray<string> = []): CommandHelp =>
  describeDescriptor((command as unknown as { descriptor: Node }).descriptor, parent)

/** The first line of a description: what lists show. */
export const summaryOf = (help: CommandHelp): string => help.description.split("\n")[0]!.trim()

/** A description laid out for `width`: paragraphs rewrapped, examples (indented lines) kept. */
export const layoutDescription = (text: string, width: number): Array<string> => {
  const out: Array<string> = []
  const newline = text.indexOf("\n")
  const [summary, body] = newline === -1 ? [text, ""] : [text.slice(0, newline), text.slice(newline + 1)]
  for (const paragraph of [summary, ...body.split(/\n\s*\n/)].filter((p) => p.trim() !== "")) {
    if (out.length > 0) out.push("")
    let prose: Array<string> = []
    const flush = () => {
      if (prose.length > 0) out.push(...wrap(prose.join(" "), width))
      prose = []
    }
    for (const line of paragraph.split("\n")) {
      if (/^\s/.test(line)) {
        flush()
        out.push(line.trimEnd())
      } else prose.push(line.trim())
    }
    flush()
  }
  return out
}

const optionLabel = (o: OptionHelp) => `${o.names.join(", ")}${o.value !== undefined ? ` ${o.value}` : ""}`

/** Two columns (label, text) with the text wrapped beside its label, or under it when the label is long. */
const twoColumns = (rows: ReadonlyArray<readonly [string, string]>, width: number): Array<string> => {
  if (rows.length === 0) return []
  const labelWidth = Math.min(28, Math.max(...rows.map(([l]) => l.length)))
  const indent = " ".repeat(labelWidth + 4)
  return rows.flatMap(([label, text]) => {
    const lines = wrap(text, width, indent)
    if (label.length > labelWidth) return [`  ${label}`, ...lines]
    const [first, ...rest] = lines
    return [`  ${label.padEnd(labelWidth)}  ${(first ?? "").trimStart()}`.trimEnd(), ...rest]
  })
}

export interface GlobalOption {
  readonly label: string
  readonly description: string
}

/** `o1coder <path> [required options] [options] ARGS`, and `o1coder <path> a|b ...` for subcommands. */
const usageLines = (help: CommandHelp): Array<string> => {
  const path = ["o1coder", ...help.path.slice(1)].join(" ")
  const args = help.args.map((a) => (a.required ? a.name : `[${a.name}]`) + (a.repeated ? "..." : ""))
  const required = help.options.filter((o) => o.required).map((o) => `${o.names[0]} ${o.value ?? ""}`.trim())
  const hasOptional = help.options.some((o) => !o.required)
  const own = [path, ...required, ...(hasOptional ? ["[options]"] : []), ...args].join(" ")
  const runnable = help.options.length > 0 || help.args.length > 0 || help.subcommands.length === 0
  const sub = `${path} ${help.subcommands.map((s) => s.path.at(-1)).join("|")} ...`
  return help.subcommands.length === 0 ? [own] : runnable ? [own, sub] : [sub]
}

/** `o1coder <path> --help`: usage with the full path, description, arguments, options, subcommands. */
export const renderCommandHelp = (help: CommandHelp, globals: ReadonlyArray<GlobalOption>, width = 80): string => {
  const out = [...usageLines(help).map((u, i) => `${i === 0 ? "Usage: " : "       "}${u}`), "", ...layoutDescription(help.description, width)]
  if (help.args.length > 0) {
    out.push("", "Arguments:", ...twoColumns(help.args.map((a) => [a.name, a.description]), width))
  }
  if (help.options.length > 0) {
    out.push(
      "",
      "Options:",
      ...twoColumns(
        help.options.map((o) => {
          const saysDefault = /\bdefault\b/i.test(o.description)
          const notes = [o.repeated ? "repeatable" : undefined, o.default !== undefined && !saysDefault ? `default ${o.default}` : undefined].filter(Boolean)
          return [optionLabel(o), `${o.description}${notes.length > 0 ? ` (${notes.join("; ")})` : ""}`]
        }),
        width
      )
    )
  }
  if (help.subcommands.length > 0) {
    out.push("", "Commands:", ...twoColumns(help.subcommands.map((s) => [s.path.slice(1).join(" "), summaryOf(s)]), width))
    out.push("", `Run \`o1coder ${help.path.slice(1).join(" ")} COMMAND --help\` for a command's options.`)
  }
  out.push("", ...wrap(`Global options: ${globals.map((g) => g.label).join(", ")} (see \`o1coder --help\`).`, width))
  return out.join("\n")
}

export interface RootHelp {
  readonly version: string
  readonly description: string
  readonly groups: ReadonlyArray<{ readonly title: string; readonly commands: ReadonlyArray<CommandHelp> }>
  readonly globals: ReadonlyArray<GlobalOption>
}

/** Every command, one line each, grouped; global options; where to start. */
export const renderRootHelp = (root: RootHelp, width = 80): string => {
  const out = [`o1coder ${root.version}`, "", ...layoutDescription(root.description, width), "", "Usage: o1coder COMMAND [options]"]
  for (const group of root.groups) {
    const rows = group.commands.flatMap((c) => [c, ...c.subcommands]).map((c) => [c.path.slice(1).join(" "), summaryOf(c)] as const)
    out.push("", `${group.title}:`, ...twoColumns(rows, width))
  }
  out.push("", "Global options (anywhere on the line):", ...twoColumns(root.globals.map((g) => [g.label, g.description]), width))
  out.push("", "Run `o1coder COMMAND --help` for a command's options and examples.")
  return out.join("\n")
}
