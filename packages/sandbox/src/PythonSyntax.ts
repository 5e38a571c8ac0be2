import { Config, Effect, Option, Schema } from "effect"
import { spawn } from "node:child_process"
import { findInterpreter } from "./Isolation.ts"

/**
 * Syntax checks of test statements before anything runs: `ast.parse` in the host's Python (it
 * parses, it never executes, so no sandbox is needed). A suite line like `assert f(1) ==` is then
 * an input error naming its line, not a failing test.
 */
export class PythonSyntaxError extends Schema.TaggedError<PythonSyntaxError>()("PythonSyntaxError", {
  /** Index of the first statement that does not parse. */
  index: Schema.Number,
  reason: Schema.String
}) {
  override get message(): string {
    return this.reason
  }
}

const CHECK = `import ast, json, sys
for i, s in enumerate(json.load(sys.stdin)):
    try:
        ast.parse(s)
    except SyntaxError as e:
        print(json.dumps({"index": i, "reason": f"SyntaxError: {e.msg} (column {e.offset})"}))
        break
`

/** Fails with the first statement of `sources` that is not valid Python. */
export const checkSyntax = (sources: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    if (sources.length === 0) return
    const configured = Option.getOrUndefined(yield* Config.option(Config.string("O1CODER_PYTHON")).pipe(Effect.orDie))
    const python = findInterpreter(configured)
    if (python === undefined) return yield* Effect.die(new Error("no Python interpreter to check the tests' syntax (set O1CODER_PYTHON)"))
    const out = yield* Effect.async<string, Error>((resume) => {
      const child = spawn(python, ["-I", "-c", CHECK], { stdio: ["pipe", "pipe", "inherit"] })
      let text = ""
      child.stdout.on("data", (d) => (text += d))
      child.on("error", (e) => resume(Effect.fail(e)))
      child.on("close", (code) => resume(code === 0 ? Effect.succeed(text) : Effect.fail(new Error(`python syntax check exited ${code}`))))
      child.stdin.end(JSON.stringify(sources))
    }).pipe(Effect.orDie)
    if (out.trim() === "") return
    const found = JSON.parse(out) as { index: number; reason: string }
    return yield* new PythonSyntaxError(found)
  })
