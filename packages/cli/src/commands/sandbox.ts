import { Command, Options } from "@effect/cli"
import { CallTest, InputError, type Test } from "@o1coder/domain"
import { calledName, parseAssert } from "@o1coder/problems/PyAssert"
import { Isolation, Limits, Sandbox } from "@o1coder/sandbox"
import { parseSuiteText } from "@o1coder/sandbox/SuiteFile"
import { checkSyntax } from "@o1coder/sandbox/PythonSyntax"
import { Console, Effect, Logger, LogLevel } from "effect"
import * as NodeFs from "node:fs"
import { provide } from "../Layers.ts"
import { output, printTable } from "../Output.ts"

const json = Options.boolean("json").pipe(Options.withDescription("Print JSON instead of text."))
const codeFile = Options.file("code", { exists: "yes" }).pipe(Options.withDescription("Python file with the candidate code."))
const testsFile = Options.file("tests", { exists: "yes" }).pipe(
  Options.withDescription("Suite file: .jsonl (a Test per line), .json (array or {entryPoint, setup, atol, tests}) or plain assert lines.")
)
const entryPoint = Options.text("entry-point").pipe(
  Options.optional,
  Options.withDescription("Function the call tests call (default: the suite's, else the name most asserts call, else the code's first def).")
)

const readText = (file: string) =>
  Effect.try({ try: () => NodeFs.readFileSync(file, "utf8"), catch: (e) => new InputError({ file, reason: `cannot read: ${e}` }) })

const describeTest = (t: Test): string => {
  const s = t._tag === "call" ? `(${t.args}) == ${t.expected}` : t._tag === "assert" ? t.source : `stdin ${JSON.stringify(t.input)}`
  const line = s.replace(/\s+/g, " ")
  return line.length > 60 ? line.slice(0, 59) + "…" : line
}

/** Input errors exit with status 2 (the program's error report keeps an exit code already set). */
const badInput = <A, R>(eff: Effect.Effect<A, InputError, R>) =>
  Effect.tapError(eff, () => Effect.sync(() => (process.exitCode = 2)))

/** Assert tests that do not parse as Python are bad input (exit 2) naming their line, not failing tests. */
const syntaxChecked = (file: string, text: string, tests: ReadonlyArray<Test>) => {
  const asserts = tests.flatMap((t) => (t._tag === "assert" ? [t.source] : []))
  const lines = text.split(/\r?\n/)
  return checkSyntax(asserts).pipe(
    Effect.mapError((e) => {
      const source = asserts[e.index]!
      const at = lines.findIndex((l) => l.trim() === source.trim())
      return new InputError({ file, ...(at >= 0 ? { line: at + 1 } : {}), reason: `not a Python statement: ${JSON.stringify(source)}: ${e.reason}` })
    })
  )
}

const exec = Command.make("exec", { code: codeFile, tests: testsFile, entryPoint, json }, (args) =>
  Effect.gen(function* () {
    const code = yield* badInput(readText(args.code))
    const text = yield* badInput(readText(args.tests))
    const firstDef = /^def\s+([A-Za-z_]\w*)/m.exec(code)?.[1]
    const asserted = calledName(text.split(/\r?\n/).filter((l) => l.startsWith("assert ")))
    const requested = args.entryPoint._tag === "Some" ? args.entryPoint.value : undefined
    const suite = yield* badInput(parseSuiteText(args.tests, text, parseAssert, requested ?? asserted))
    yield* badInput(syntaxChecked(args.tests, text, suite.tests))
    const entry = suite.entryPoint ?? firstDef
    if (suite.kind === "function" && entry === undefined && suite.tests.some((t) => t._tag === "call")) {
      return yield* badInput(Effect.fail(new InputError({ file: args.code, reason: "no entry point: pass --entry-point NAME" })))
    }
    const sandbox = yield* Sandbox
    const execution = yield* sandbox.run({
      code,
      kind: suite.kind,
      entryPoint: entry,
      setup: suite.setup,
      atol: suite.atol,
      tests: suite.tests,
      purpose: "other"
    })
    const rows = execution.verdicts.map((v, i) => ({
      test: i + 1,
      what: describeTest(suite.tests[i]!),
      status: v.status,
      ms: Math.round(v.ms * 10) / 10,
      detail: v.seen !== undefined ? `seen ${v.seen}` : (v.error ?? "")
    }))
    yield* output(
      args.json,
      { ...execution, entryPoint: entry ?? null, tests: suite.tests },
      Effect.zipRight(
        printTable(rows),
        Console.log(`${execution.passed}/${execution.total} passed, compiled: ${execution.compiled}, ${Math.round(execution.ms)} ms`)
      )
    )
    if (!execution.allPassed) process.exitCode = 1
  }).pipe(provide("sandbox"))
).pipe(
  Command.withDescription(
    "Run a Python file on a test suite in the sandbox\n" +
      "Prints a verdict per test, judged outside the sandbox. Exit status: 0 every test passes, 1 a test fails,\n" +
      "2 bad input (the message names file, line and field).\n\n" +
      "Suite formats (packages/sandbox/README.md): plain `assert f(...) == ...` lines; .jsonl with a test per line,\n" +
      'e.g. {"_tag":"call","args":"[3, 1, 2]","expected":"[1, 2, 3]"}; .json (an array of those, or\n' +
      "{entryPoint, setup, atol, tests}).\n\n" +
      "Example:\n" +
      "  o1coder exec --code packages/cli/examples/sort_list.py \\\n" +
      "      --tests packages/cli/examples/sort_list.tests.txt"
  )
)

const doctor = Command.make("doctor", { json }, (args) =>
  Effect.gen(function* () {
    const settings = yield* Isolation.settingsFromConfig
    // Detect with unsafe allowed so the report shows everything; the verdict below says whether runs would be refused.
    // (Its "unsafe mode enabled" warning would be false here: the report below says it instead.)
    const plan = yield* Effect.either(Isolation.detect({ interpreter: settings.interpreter, bwrap: settings.bwrap, unsafe: true })).pipe(
      Logger.withMinimumLogLevel(LogLevel.Error)
    )
    const limits = Limits.default
    if (plan._tag === "Left") {
      process.exitCode = 1
      return yield* Console.error(`sandbox unusable: ${plan.left.reason}`)
    }
    const p = plan.right
    const refused = p.level !== "full" && !settings.unsafe
    const selfTest = refused
      ? "skipped (isolation refused)"
      : yield* Effect.gen(function* () {
          const sandbox = yield* Sandbox
          const started = performance.now()
          const ex = yield* sandbox.run({
            code: "def f(x):\n    return x + 1\n",
            kind: "function",
            entryPoint: "f",
            tests: [new CallTest({ args: "1", expected: "2" })]
          })
          return ex.allPassed ? `passed (${Math.round(performance.now() - started)} ms)` : `FAILED: ${JSON.stringify(ex.verdicts)}`
        }).pipe(
          provide("sandbox"),
          Effect.catchAll((e) => Effect.succeed(`FAILED: ${e.message}`))
        )
    const report = {
      interpreter: p.interpreter,
      level: p.level,
      refused,
      workers: settings.workers,
      unsafeOptIn: settings.unsafe,
      details: p.details.filter((d) => !d.startsWith("UNSAFE")),
      seccomp: p.seccomp === undefined ? null : { syscalls: p.seccomp.syscalls, denied: p.seccomp.denied },
      limits: {
        testTimeoutMs: limits.testTimeoutMs,
        totalTimeoutMs: limits.totalTimeoutMs,
        memoryBytes: limits.memoryBytes,
        outputBytes: limits.outputBytes,
        perCandidate: "RLIMIT_AS = memory, RLIMIT_CPU = total budget + 1 s, RLIMIT_FSIZE 16 MiB, RLIMIT_NOFILE 64, RLIMIT_CORE 0, RLIMIT_NPROC 256",
        perWorker: p.cgroups.pids ? "pids.max 128" + (p.cgroups.memory ? ", memory 1.5 x limit + 256 MiB" : "") : "no cgroups"
      },
      selfTest
    }
    yield* output(
      args.json,
      report,
      Console.log(
        [
          `interpreter:  ${report.interpreter}`,
          `isolation:    ${report.level.toUpperCase()}${refused ? " (runs REFUSED: set O1CODER_SANDBOX_UNSAFE=1 to run anyway)" : ""}`,
          `workers:      ${report.workers}`,
          `seccomp:      ${p.seccomp === undefined ? "NONE" : `on, ${p.seccomp.syscalls} system calls denied`}`,
          ...report.details.map((d) => `  - ${d}`),
          `limits:       test ${limits.testTimeoutMs} ms, total ${limits.totalTimeoutMs} ms, memory ${limits.memoryBytes / 1024 ** 2} MiB, output ${limits.outputBytes / 1024} KiB`,
          `              ${report.limits.perCandidate}`,
          `              per worker: ${report.limits.perWorker}`,
          `self-test:    ${selfTest}`
        ].join("\n")
      )
    )
    if (refused || !selfTest.startsWith("passed")) process.exitCode = 1
  })
).pipe(
  Command.withDescription(
    "Report what the sandbox can do on this machine\n" +
      "The Python interpreter (O1CODER_PYTHON), the isolation level this machine allows (full, partial, none:\n" +
      "bubblewrap, unprivileged uid, cgroups), the limits in effect, and a self-test. Exit 1 if runs would be refused.\n\n" +
      "Example:\n" +
      "  o1coder doctor"
  )
)

export const commands = [exec, doctor] as const
