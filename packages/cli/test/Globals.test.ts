import * as TestDatabase from "@o1coder/store/TestDatabase"
import { Effect, Exit, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runCli } from "../../../test/helpers.ts"

/** Global options reach the services as config (the CLI's own process, as users run it). */
describe("global options", () => {
  const scope = Effect.runSync(Scope.make())
  let url = ""
  beforeAll(async () => {
    url = (await Effect.runPromise(Scope.extend(TestDatabase.freshPostgresUrl, scope))).url
  })
  afterAll(() => Effect.runPromise(Scope.close(scope, Exit.void)))

  it("--database-url anywhere on the line points the store at that Postgres database", async () => {
    const env = { DATABASE_URL: "", O1CODER_DATA_DIR: "/nonexistent/o1coder-not-used" }
    const migrated = await runCli(["db", "--database-url", url, "migrate"], { env })
    expect(migrated.code).toBe(0)
    expect(migrated.stdout).toContain(`database: postgres ${url.replace("postgres://postgres@", "postgres://***@")}`)
    const counted = await runCli(["sql", "select count(*)::int as n from problems", "--json", `--database-url=${url}`], { env })
    expect(counted.code).toBe(0)
    expect(JSON.parse(counted.stdout)).toEqual([{ n: 0 }])
  }, 120_000)
})
