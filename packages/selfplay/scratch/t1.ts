import { Schema, ParseResult, Either } from "effect"
const show = (u: unknown) => JSON.stringify(u)
const expected = (what: string) => (issue: ParseResult.ParseIssue) => ({ message: `expected ${what}, got ${show(issue.actual)}`, override: true })
const PositiveInt = Schema.Number.pipe(Schema.int(), Schema.positive()).annotations({ message: expected("a positive integer") })
const S = Schema.Struct({ search: Schema.optionalWith(Schema.Struct({ rollouts: Schema.optionalWith(PositiveInt, { default: () => 15 }), kind: Schema.Literal("a","b") }), { default: () => ({ rollouts: 15, kind: "a" as const }) }) , name: Schema.String})
for (const v of [{ search: { rollouts: -3, kind: "a" } , name: "x"}, { search: { rollouts: "x", kind: "c" }, name: "x" }, { search: { rollouts: 2.5, kind: "a", extra: 1 } }, {name: "x"}]) {
  const r = Schema.decodeUnknownEither(S, { onExcessProperty: "error", errors: "all" })(v)
  if (Either.isLeft(r)) console.log(ParseResult.ArrayFormatter.formatErrorSync(r.left))
  else console.log(r.right)
}
