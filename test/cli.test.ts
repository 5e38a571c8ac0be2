import { describe, expect, it } from "vitest"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { TestDatabase } from "@o1coder/store"
import { Effect } from "effect"
import { runCli } from "./helpers.ts"

/** The CLI as users run it: exit codes, messages naming file and line, read-only SQL, --json. */
describe("o1coder CLI", () => {
  const dir = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "o1-cli-"))
  const env = { O1CODER_DATA_DIR: NodePath.join(dir, "db"), DATABASE_URL: "" }
  const file = (name: string, text: string) => {
    const path = NodePath.join(dir, name)
    NodeFs.writeFileSync(path, text)
    return path
  }

  it("imports a problem file with a broken line: names file and line, keeps the rest, exits 1", async () => {
    const problems = file(
      "problems.jsonl",
      [
        JSON.stringify({ id: "add", statement: "Add two numbers.", entry_point: "add", reference: "def add(a, b):\n    return a + b", held_out_tests: ["assert add(1, 2) == 3"] }),
        "{ this is not json",
        JSON.stringify({ id: "neg", statement: "Negate.", entry_point: "neg", held_out_tests: ["assert neg(1) == -1"] })
      ].join("\n") + "\n"
    )
    const imported = await runCli(["problems", "import", problems, "--format", "jsonl", "--dataset", "mine"], { env })
    expect(imported.code).toBe(1)
    expect(imported.stdout + imported.stderr).toContain(`${problems}:2`)
    const count = await runCli(["sql", "select count(*) as n from problems where dataset = 'mine'", "--json"], { env })
    expect(count.code).toBe(0)
    expect(JSON.parse(count.stdout)).toEqual([{ n: 2 }])
  })

  it("runs SQL read-only: a write is refused with a one-line error and exit 1", async () => {
    const write = await runCli(["sql", "delete from problems"], { env })
    expect(write.code).toBe(1)
    expect(write.stderr).toMatch(/^error: .*read-only transaction/m)
    const still = await runCli(["sql", "select count(*) as n from problems", "--json"], { env })
    expect(JSON.parse(still.stdout)).toEqual([{ n: 2 }])
  })

  it("exec: exit 0 when every test passes, 1 when one fails, 2 on a bad suite file", async () => {
    const tests = file("tests.txt", "assert add(1, 2) == 3\nassert add(-1, 1) == 0\n")
    const good = await runCli(["exec", "--code", file("good.py", "def add(a, b):\n    return a + b\n"), "--tests", tests, "--entry-point", "add", "--json"], { env })
    expect(good.code).toBe(0)
    const wrong = await runCli(["exec", "--code", file("wrong.py", "def add(a, b):\n    return a - b\n"), "--tests", tests, "--entry-point", "add"], { env })
    expect(wrong.code).toBe(1)
    const bad = await runCli(["exec", "--code", file("x.py", "pass\n"), "--tests", file("bad.jsonl", '{"_tag": "call", "args": 1}\n')], { env })
    expect(bad.code).toBe(2)
    expect(bad.stderr + bad.stdout).toContain("bad.jsonl")
    const incomplete = await runCli(["exec", "--code", file("good2.py", "def f(x):\n    return x\n"), "--tests", file("cut.txt", "assert f(1) == 1\nassert f(1) ==\n")], { env })
    expect(incomplete.code).toBe(2)
    expect(incomplete.stderr).toMatch(/^error: InputError: .*cut\.txt: line 2: not a Python statement: "assert f\(1\) ==": SyntaxError/m)
  })

  it("sql errors carry the database's own message; repeated column names stay apart (PGlite and Postgres)", async () => {
    const postgres = (f: (url: string) => Promise<void>) =>
      Effect.runPromise(Effect.scoped(Effect.flatMap(TestDatabase.freshPostgresUrl, ({ url }) => Effect.promise(() => f(url)))))
    await postgres(async (url) => {
      for (const extra of [{}, { DATABASE_URL: url }]) {
      const typo = await runCli(["sql", "selec 1"], { env: { ...env, ...extra } })
      expect(typo.code).toBe(1)
      expect(typo.stderr).toContain('error: QueryFailed: SQLSTATE 42601: syntax error at or near "selec" (position 1)\n  selec 1\n  ^')
      const twice = await runCli(["sql", "select 1 as a, 2 as a", "--json"], { env: { ...env, ...extra } })
      expect(JSON.parse(twice.stdout)).toEqual([{ a: 1, a_2: 2 }])
      }
    })
  })

  it("a database that cannot be reached at start-up exits 75 (retry later); one that does not exist exits 1", async () => {
    const refused = await runCli(["sql", "select 1", "--database-url", "postgres://postgres@127.0.0.1:1/x"], { env })
    expect(refused.stderr).toContain('cannot connect to Postgres database "x" at 127.0.0.1:1 as user "postgres": connection refused')
    expect(refused.stderr).toContain("the database is unavailable for now (exit code 75): retry later")
    expect(refused.code).toBe(75)
    const missing = new URL(TestDatabase.PG_ADMIN_URL)
    missing.pathname = "/o1coder_no_such_database"
    const absent = await runCli(["sql", "select 1", "--database-url", missing.toString()], { env })
    expect(absent.stderr).toContain('SQLSTATE 3D000: database "o1coder_no_such_database" does not exist')
    expect(absent.stderr).not.toContain("unavailable for now")
    expect(absent.code).toBe(1)
  })

  it("a usage mistake exits 2 and says what is missing", async () => {
    const missing = await runCli(["sql"], { env })
    expect(missing.code).toBe(2)
    expect(missing.stdout + missing.stderr).toContain("QUERY")
  })
})
