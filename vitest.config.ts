import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts"],
    reporters: ["default", "./scripts/vitest-summary.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Tests share one Postgres server and a 2-core machine; files run two at a time.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } }
  }
})
