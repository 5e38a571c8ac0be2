/**
 * Start-up time of the CLI: the bundle the bin runs (packages/cli/dist) against the TypeScript
 * sources compiled at start by tsx (how the bin ran before the bundle). Runs alternate between the
 * two so that both see the same load; prints the median wall and CPU seconds and the load average.
 *
 * usage: npm run bench:startup [-- --runs N]
 */
import { spawnSync } from "node:child_process"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { REPO_ROOT } from "@o1coder/domain"

const runs = Number(process.argv[process.argv.indexOf("--runs") + 1]) || 5
const bin = NodePath.join(REPO_ROOT, "packages/cli/bin/o1coder.mjs")
const source = NodePath.join(REPO_ROOT, "packages/cli/src/main.ts")
const dataDir = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "o1-bench-startup-"))
const env = { ...process.env, O1CODER_DATA_DIR: dataDir, DATABASE_URL: "" }

const ways = {
  bundle: [process.execPath, bin],
  tsx: [process.execPath, "--import", "tsx", source]
} as const

/** Wall, user and system seconds of one run, from bash's `time`. */
const timed = (command: ReadonlyArray<string>) => {
  const quoted = command.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ")
  const r = spawnSync("bash", ["-c", `TIMEFORMAT='%R %U %S'; time ${quoted} >/dev/null 2>/tmp/o1-bench-startup.err`], {
    cwd: REPO_ROOT,
    env,
    encoding: "utf8"
  })
  const [wall, user, sys] = r.stderr.trim().split(/\s+/).slice(-3).map(Number)
  if (r.status !== 0) throw new Error(`${command.join(" ")} failed: ${NodeFs.readFileSync("/tmp/o1-bench-startup.err", "utf8")}`)
  return { wall: wall!, cpu: user! + sys! }
}

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const load = () => NodeOs.loadavg().map((l) => l.toFixed(2)).join(" ")

const cases: ReadonlyArray<ReadonlyArray<string>> = [["--version"], ["--help"], ["sql", "--help"], ["runs"]]

console.log(`o1coder start-up, ${runs} runs each, alternating; ${NodeOs.availableParallelism()} cores; load before: ${load()}`)
// Warm-up: builds the bundle if a source changed and creates the PGlite store once.
timed([...ways.bundle, "runs"])
console.log(`${"command".padEnd(22)} ${"bundle wall / cpu".padStart(18)} ${"tsx wall / cpu".padStart(18)}  speedup (wall)`)
for (const args of cases) {
  const samples = { bundle: [] as Array<{ wall: number; cpu: number }>, tsx: [] as Array<{ wall: number; cpu: number }> }
  for (let i = 0; i < runs; i++) {
    samples.bundle.push(timed([...ways.bundle, ...args]))
    samples.tsx.push(timed([...ways.tsx, ...args]))
  }
  const cell = (s: ReadonlyArray<{ wall: number; cpu: number }>) =>
    `${median(s.map((x) => x.wall)).toFixed(2)} s / ${median(s.map((x) => x.cpu)).toFixed(2)} s`
  const speedup = median(samples.tsx.map((x) => x.wall)) / median(samples.bundle.map((x) => x.wall))
  console.log(`${`o1coder ${args.join(" ")}`.padEnd(22)} ${cell(samples.bundle).padStart(18)} ${cell(samples.tsx).padStart(18)}  ${speedup.toFixed(1)}x`)
}
console.log(`load after: ${load()}`)
NodeFs.rmSync(dataDir, { recursive: true, force: true })
