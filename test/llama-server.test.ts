import { describe, expect, it, layer } from "@effect/vitest"
import { sharedDataFile } from "@o1coder/domain"
import { FaultProxy, LlamaServer } from "@o1coder/models/testing"
import * as TestDatabase from "@o1coder/store/TestDatabase"
import { Effect } from "effect"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import pg from "pg"
import { runCli, startCli } from "./helpers.ts"

/**
 * The CLI against llama.cpp's llama-server (`scripts/llama-server.sh` builds it) serving
 * stories260K with `-t 1 -np 4 -c 8192` (2048 tokens a slot), behind a fault-injecting proxy that
 * counts requests: `models try`, a 3-problem MCTS search, and the same search SIGKILLed and resumed.
 */

const gguf = sharedDataFile("models/stories260K.gguf")
const mbpp = sharedDataFile("mbpp/mbpp.jsonl")
const bin = LlamaServer.binary()

const query = <A>(url: string, text: string) =>
  Effect.promise(async () => {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      return (await client.query(text)).rows as Array<A>
    } finally {
      await client.end()
    }
  })

/** A fresh Postgres database with the first 3 MBPP problems imported, and the CLI's env for it. */
const storeWithProblems = Effect.gen(function* () {
  const { url } = yield* TestDatabase.freshPostgresUrl
  const dir = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "o1-llama-server-"))
  yield* Effect.addFinalizer(() => Effect.sync(() => NodeFs.rmSync(dir, { recursive: true, force: true })))
  const file = NodePath.join(dir, "mbpp-3.jsonl")
  NodeFs.writeFileSync(file, NodeFs.readFileSync(mbpp.path, "utf8").split("\n").slice(0, 3).join("\n") + "\n")
  const env = { DATABASE_URL: url }
  const imported = yield* Effect.promise(() => runCli(["problems", "import", file, "--format", "mbpp"], { env }))
  expect(imported.code, imported.stderr).toBe(0)
  return { url, env }
})

const searchArgs = (baseUrl: string, runId: string, limit = 3) => [
  "search", "--dataset", "mbpp", "--limit", String(limit), "--policy", `openai:${baseUrl}#stories260K`, "--width", "3", "--depth", "3",
  "--rollouts", "3", "--examples", "off", "--step-max-tokens", "48", "--suite", "visible", "--seed", "1", "--run-id", runId, "--json"
]

const NODES = `select search_id, seq, depth, parent_id, action, body, code, terminal, visits, value_sum, reward, passed, total
  from nodes order by search_id, seq`

describe("the CLI against llama-server (stories260K, -np 4 -c 8192)", () => {
  if (bin.missing !== undefined) return it.skip(bin.missing, () => {})
  for (const file of [gguf, mbpp]) if (file.missing !== undefined) return it.skip(file.missing, () => {})

  layer(LlamaServer.layer({ binary: bin.path, model: gguf.path, threads: 1, parallel: 4, contextSize: 8192 }), {
    timeout: 120_000,
    excludeTestServices: true
  })((it) => {
    it.scoped("models try -n 3 --logprobs: three completions with per-token logprobs; -n 5 tops up with new samples", () =>
      Effect.gen(function* () {
        const { env } = yield* storeWithProblems
        const server = yield* LlamaServer.Server
        const args = ["models", "try", `openai:${server.baseUrl}#stories260K`, "--prompt", "Once upon a time", "--max-tokens", "40", "--seed", "42", "--json"]
        const three = yield* Effect.promise(() => runCli([...args, "-n", "3", "--logprobs"], { env }))
        expect(three.code, three.stderr).toBe(0)
        const out = JSON.parse(three.stdout) as { completions: Array<{ text: string; finishReason: string; completionTokens: number; tokensCountedBy: string; logprobs: Array<{ token: string; logprob: number }> }> }
        expect(out.completions).toHaveLength(3)
        for (const c of out.completions) {
          expect(c.tokensCountedBy).toBe("logprobs")
          expect(c.logprobs.length).toBe(c.completionTokens)
          expect(c.logprobs.map((l) => l.token).join("")).toBe(c.text)
          if (c.finishReason === "length") expect(c.completionTokens).toBe(40)
        }
        // Without logprobs (another call): n = 3, then n = 5 asks only for samples 3 and 4, with their own seeds.
        const first = JSON.parse((yield* Effect.promise(() => runCli([...args, "-n", "3"], { env }))).stdout)
        const five = yield* Effect.promise(() => runCli([...args, "-n", "5"], { env }))
        expect(five.code, five.stderr).toBe(0)
        const texts = (JSON.parse(five.stdout).completions as Array<{ text: string }>).map((c) => c.text)
        expect(texts.slice(0, 3)).toEqual(first.completions.map((c: { text: string }) => c.text))
        expect(new Set(texts).size).toBe(5)
      })
    )

    it.scoped("a 3-problem MCTS search with width 3 <= -np completes; every sample's tokens counted", () =>
      Effect.gen(function* () {
        const { url, env } = yield* storeWithProblems
        const proxy = yield* FaultProxy.make(yield* LlamaServer.Server)
        const result = yield* Effect.promise(() => runCli(searchArgs(proxy.baseUrl, "llama-search"), { env }))
        expect(result.code, result.stderr.slice(-3000)).toBe(0)
        const { outcomes, failures } = JSON.parse(result.stdout) as { outcomes: Array<{ status: string; rolloutsDone: number; tokens: number; modelCalls: number }>; failures: Array<unknown> }
        expect(failures).toEqual([])
        expect(outcomes.map((o) => [o.status, o.rolloutsDone])).toEqual([["completed", 3], ["completed", 3], ["completed", 3]])
        const calls = yield* query<{ by: string; finish: string; samples: number; tokens: number }>(url,
          `select tokens_counted_by as by, finish_reason as finish, count(*)::int as samples, sum(completion_tokens)::int as tokens
           from model_calls group by 1, 2 order by 1, 2`)
        const samples = calls.reduce((s, c) => s + c.samples, 0)
        expect(samples).toBe(3 * outcomes.reduce((s, o) => s + o.modelCalls, 0))
        expect(new Set(calls.map((c) => c.by))).toEqual(new Set(["usage", "tokenize"]))
        // Stopped at 48 tokens: the first choice's usage says 48 exactly; /tokenize of prompt + text
        // re-tokenizes the text and can merge a token pair now and then.
        for (const c of calls.filter((c) => c.finish === "length")) {
          if (c.by === "usage") expect(c.tokens).toBe(48 * c.samples)
          else expect(Math.abs(c.tokens - 48 * c.samples)).toBeLessThanOrEqual(Math.ceil(0.02 * 48 * c.samples))
        }
        expect(proxy.requests().filter((r) => r.path === "/v1/completions")).toHaveLength(samples / 3)
      })
    )

    it.scoped("worked examples on and 200-token steps outgrow a 2048-token slot: those nodes end as terminals, the search completes", () =>
      Effect.gen(function* () {
        const { url, env } = yield* storeWithProblems
        const server = yield* LlamaServer.Server
        const args = ["search", "--dataset", "mbpp", "--limit", "1", "--policy", `openai:${server.baseUrl}#stories260K`, "--width", "3",
          "--depth", "5", "--rollouts", "2", "--examples", "on", "--step-max-tokens", "200", "--suite", "visible", "--seed", "1", "--json"]
        const result = yield* Effect.promise(() => runCli(args, { env }))
        expect(result.code, result.stderr.slice(-3000)).toBe(0)
        const [outcome] = JSON.parse(result.stdout).outcomes as Array<{ searchId: string; status: string; rolloutsDone: number }>
        expect([outcome!.status, outcome!.rolloutsDone]).toEqual(["completed", 2])
        const cut = yield* query<{ depth: number; reward: number }>(url,
          "select depth, reward from nodes where terminal and code is null and depth < 5 and parent_id is not null")
        expect(cut.length).toBeGreaterThan(0)
        expect(cut.every((n) => n.reward === 0)).toBe(true)
        const tree = yield* Effect.promise(() => runCli(["tree", outcome!.searchId], { env }))
        expect(tree.stdout).toContain("(the prompt outgrew the model's context)")
      })
    )

    it.scoped("every request refused: each retry on stderr, every failure in full, exit 1", () =>
      Effect.gen(function* () {
        const { env } = yield* storeWithProblems
        const proxy = yield* FaultProxy.make(yield* LlamaServer.Server)
        const message = "injected: the server is overloaded, come back later (this reason is longer than a table column of 80 characters)"
        proxy.setDefault(() => ({ _tag: "Status", status: 503, body: { error: { code: 503, message, type: "unavailable_error" } } }))
        const args = searchArgs(proxy.baseUrl, "llama-refused", 2).filter((a) => a !== "--json")
        const result = yield* Effect.promise(() => runCli([...args, "--concurrency", "1"], { env }))
        expect(result.code).toBe(1)
        expect(result.stderr).toMatch(/openai:stories260K: server_error HTTP 503, retry 1\/4 in \d+\.\d s/)
        expect(result.stderr).toMatch(/retry 4\/4/)
        expect(result.stderr).toContain("error: SearchesFailed: 2 of 2 problems failed (reasons above)")
        const failures = result.stdout.split("\n").filter((l) => /^mbpp\/\d+: /.test(l))
        expect(failures).toHaveLength(2)
        for (const line of failures) {
          expect(line).toContain(`server_error: HTTP 503: {"error":{"code":503,"message":"${message}"`)
          expect(line).toMatch(/\(5 attempts\)$/)
        }
        expect(proxy.requests().filter((r) => r.path === "/v1/completions")).toHaveLength(10)
      })
    )

    it.scoped("the same search SIGKILLed mid-way and rerun: no request twice, and the tree of an uninterrupted search", () =>
      Effect.gen(function* () {
        const { url, env } = yield* storeWithProblems
        const proxy = yield* FaultProxy.make(yield* LlamaServer.Server)
        const forwarded = () => proxy.requests().filter((r) => r.path === "/v1/completions" && r.forwarded)
        // After 8 answered requests every request hangs; the kill comes once all 8 are recorded.
        proxy.setDefault(() => (forwarded().length >= 8 ? { _tag: "Hang" } : undefined))
        const killed = startCli(searchArgs(proxy.baseUrl, "llama-kill"), { env })
        for (;;) {
          const recorded = (yield* query<{ n: number }>(url, "select count(*)::int as n from model_calls"))[0]!.n
          if (proxy.hanging() > 0 && recorded === 3 * forwarded().length) break
          yield* Effect.sleep("100 millis")
        }
        killed.child.kill("SIGKILL")
        expect((yield* Effect.promise(() => killed.done)).signal).toBe("SIGKILL")
        const beforeKill = yield* query<Record<string, unknown>>(url, NODES)
        expect(beforeKill.length).toBeGreaterThan(0)

        proxy.setDefault(() => undefined)
        const resumed = yield* Effect.promise(() => runCli(searchArgs(proxy.baseUrl, "llama-kill"), { env }))
        expect(resumed.code, resumed.stderr.slice(-3000)).toBe(0)
        expect((JSON.parse(resumed.stdout).outcomes as Array<{ status: string }>).map((o) => o.status)).toEqual(["completed", "completed", "completed"])
        const requests = forwarded().map((r) => JSON.stringify([r.body.prompt, r.body.n, r.body.seed]))
        expect(new Set(requests).size).toBe(requests.length)
        const distinctCalls = (yield* query<{ n: number }>(url, "select count(distinct request)::int as n from model_calls"))[0]!.n
        expect(requests.length).toBe(distinctCalls)
        const tree = yield* query<Record<string, unknown>>(url, NODES)
        const key = (n: Record<string, unknown>) => `${n.search_id}/${n.seq}`
        const final = new Map(tree.map((n) => [key(n), n]))
        for (const n of beforeKill) expect({ ...final.get(key(n)), visits: 0, value_sum: 0 }).toEqual({ ...n, visits: 0, value_sum: 0 })

        // The uninterrupted search over the same recorded answers: the searches rebuilt from nothing
        // with every request refused; each call is replayed from the store.
        yield* query(url, "delete from searches")
        proxy.setDefault(() => ({ _tag: "Status", status: 500 }))
        const before = proxy.requests().length
        const replayed = yield* Effect.promise(() => runCli(searchArgs(proxy.baseUrl, "llama-kill"), { env }))
        expect(replayed.code, replayed.stderr.slice(-3000)).toBe(0)
        expect(proxy.requests().slice(before).filter((r) => r.path === "/v1/completions")).toEqual([])
        expect(yield* query<Record<string, unknown>>(url, NODES)).toEqual(tree)
      }),
      { timeout: 300_000 }
    )
  })
})
