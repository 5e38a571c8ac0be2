import { describe, expect, layer } from "@effect/vitest"
import { StdioTest } from "@o1coder/domain"
import * as CodeMutator from "@o1coder/models/CodeMutator"
import { Effect } from "effect"
import { fileURLToPath } from "node:url"
import { Server, Settings } from "../src/index.ts"
import { generous, post, python, storeAndSandbox } from "./fixtures.ts"

/**
 * verl's `sandbox_fusion` reward pointed at o1coder: a Python client speaking SandboxFusion's
 * protocol as verl's does (one /run_code per test case) gets, test by test, the same pass/fail
 * as /v1/reward gives for the same program and tests.
 */

/** Small stdin/stdout problems with reference programs (APPS's vendored slice has none). */
const STDIO = [
  {
    id: "sum",
    reference: "import sys\nnums = list(map(int, sys.stdin.read().split()))\nprint(sum(nums))",
    tests: [["1 2 3\n", "6\n"], ["10\n", "10\n"], ["-5 5 7\n", "7\n"]]
  },
  {
    id: "reverse",
    reference: "n = int(input())\nfor _ in range(n):\n    print(' '.join(reversed(input().split())))",
    tests: [["2\na b c\nhello world\n", "c b a\nworld hello\n"], ["1\nx\n", "x\n"], ["0\n", ""]]
  },
  {
    id: "vowels",
    reference: "s = input().strip()\nprint(sum(1 for ch in s if ch in 'aeiou'))\nprint(len(s))",
    tests: [["banana\n", "3\n6\n"], ["xyz\n", "0\n3\n"], ["aeiou\n", "5\n5\n"]]
  }
].map((p) => ({ ...p, tests: p.tests.map(([input, output]) => new StdioTest({ input: input!, output: output! })) }))
const CLIENT = fileURLToPath(new URL("./python/verl_sandbox_fusion_client.py", import.meta.url))


describe("SandboxFusion /run_code", () => {
  layer(storeAndSandbox, { timeout: 300_000, excludeTestServices: true })((it) => {
    it.effect("a verl-style client (one request per test, reading status and run_result.stdout) agrees with /v1/reward test by test", () =>
      Effect.scoped(
        Effect.gen(function* () {
          const url = yield* Server.start({ ...Settings.defaults, port: 0, limits: generous })
          const mutants = yield* CodeMutator.mutate(STDIO.map((p) => ({ id: p.id, code: p.reference, seed: 2, max: 2 })))
          const cases = STDIO.flatMap((p, k) => {
            const programs = [
              p.reference,
              ...(mutants.get(p.id) ?? []).map((m) => m.code),
              "print(0)",
              "raise ValueError('no')",
              "def broken(:\n    pass",
              // One program that never ends (each of its tests waits out the timeout).
              ...(k === 0 ? ["while True:\n    pass"] : [])
            ]
            return programs.map((code) => ({ code, tests: p.tests }))
          })
          const reward = yield* post(`${url}/v1/reward`, {
            test_timeout_ms: 2000,
            completions: cases.map((c) => ({ completion: "```python\n" + c.code + "\n```", problem: { kind: "stdio", tests: c.tests } }))
          })
          expect(reward.status).toBe(200)
          const client = yield* python(CLIENT, JSON.stringify({
            url,
            timeout: 2,
            cases: cases.map((c) => ({ code: c.code, inputs: c.tests.map((t) => t.input), outputs: c.tests.map((t) => t.output) }))
          }), {})
          expect(client.stderr).toBe("")
          const verl: Array<Array<boolean | number>> = JSON.parse(client.stdout)
          cases.forEach((c, i) => {
            const native = reward.json.results[i].verdicts.map((v: any) => v.status === "passed")
            expect(verl[i]!.map((r) => r === true), c.code.slice(0, 60)).toEqual(native)
          })
          // The references pass; the crash and the syntax error are verl's -2 (Python has no compile step), the loop -3.
          const rows = (code: string) => cases.flatMap((c, i) => (c.code === code ? [verl[i]!] : []))
          for (const p of STDIO) expect(rows(p.reference)[0]!.every((r) => r === true), p.id).toBe(true)
          expect(rows("raise ValueError('no')").flat().every((r) => r === -2)).toBe(true)
          expect(rows("def broken(:\n    pass").flat().every((r) => r === -2)).toBe(true)
          expect(rows("while True:\n    pass").flat()).toEqual([-3, -3, -3])
          expect(rows("print(0)").flat()).toContain(false)
          // Other languages answer SandboxFusion's own error shape.
          const cpp = yield* post(`${url}/run_code`, { code: "int main(){}", language: "cpp", stdin: "" })
          expect(cpp.status).toBe(200)
          expect(cpp.json).toMatchObject({ status: "SandboxError", run_result: null, compile_result: null })
          expect(cpp.json.message).toMatch(/python only/)
        })
      ), 300_000)

    it.effect("POST /get_reward answers OpenRLHF's rewards, scores and extra_logs for ids and inline labels", () =>
      Effect.scoped(
        Effect.gen(function* () {
          const url = yield* Server.start({ ...Settings.defaults, port: 0, limits: generous })
          const problem = JSON.stringify({ kind: "function", entry_point: "add", tests: ["assert add(1, 2) == 3", "assert add(2, 2) == 4"] })
          const prompt = "Write add.\n"
          const r = yield* post(`${url}/get_reward`, {
            query: [prompt + "```python\ndef add(a, b):\n    return a + b\n```", prompt + "```python\ndef add(a, b):\n    return a * b\n```", prompt + "def add(a, b) return"],
            prompts: [prompt, prompt, prompt],
            labels: [problem, problem, problem]
          })
          expect(r.status).toBe(200)
          expect(r.json.rewards).toEqual([1, 0.5, 0])
          expect(r.json.scores).toEqual(r.json.rewards)
          expect(r.json.extra_logs).toEqual({ pass_ratio: [1, 0.5, 0], compile_rate: [1, 1, 0] })
          const missing = yield* post(`${url}/get_reward`, { query: ["x"], prompts: ["x"] })
          expect(missing.status).toBe(400)
          expect(missing.json.field).toBe("labels")
          const unknown = yield* post(`${url}/get_reward`, { query: ["x"], labels: ["no/such"] })
          expect(unknown.status).toBe(404)
        })
      ), 300_000)

    it.effect("files in and fetch_files out (base64, bounded, no link followed), stdout kept when the program fails", () =>
      Effect.scoped(
        Effect.gen(function* () {
          const url = yield* Server.start({ ...Settings.defaults, port: 0, limits: generous })
          const b64 = (s: string) => Buffer.from(s).toString("base64")
          const run = (body: Record<string, unknown>) => post(`${url}/run_code`, { language: "python", stdin: "", run_timeout: 5, ...body })

          const files = yield* run({
            code: "import os\ntext = open('data/in.txt').read()\nopen('out.txt', 'w').write(text.upper())\nos.symlink('/etc/passwd', 'leak.txt')\nos.mkfifo('pipe')\nprint('done', len(os.listdir('.')))",
            files: { "data/in.txt": b64("hello\n"), "empty.txt": null },
            fetch_files: ["out.txt", "data/in.txt", "missing.txt", "leak.txt", "pipe", "empty.txt"]
          })
          expect(files.status).toBe(200)
          expect(files.json.status).toBe("Success")
          expect(files.json.run_result.stdout).toBe("done 5\n")
          // Missing files, links and anything not a regular file are left out.
          expect(files.json.files).toEqual({ "out.txt": b64("HELLO\n"), "data/in.txt": b64("hello\n"), "empty.txt": "" })

          const outside = yield* run({ code: "print(1)", files: { "../x": b64("x") } })
          expect(outside.json).toMatchObject({ status: "SandboxError", run_result: null })
          expect(outside.json.message).toContain("not a relative path")
          const notBase64 = yield* run({ code: "print(1)", files: { "a.txt": "%%%" } })
          expect(notBase64.json.message).toContain("not base64")

          // What it printed before it raised, or before its deadline, is its stdout.
          const raised = yield* run({ code: "print('partial')\nraise ValueError('boom')" })
          expect(raised.json).toMatchObject({ status: "Failed", run_result: { status: "Finished", return_code: 1, stdout: "partial\n" } })
          expect(raised.json.run_result.stderr).toContain("ValueError")
          const slow = yield* run({ code: "print('before', flush=True)\nwhile True:\n    pass", run_timeout: 1 })
          expect(slow.json).toMatchObject({ status: "Failed", run_result: { status: "TimeLimitExceeded", stdout: "before\n" } })
        })
      ))
  })
})
