import { Args, Command, Options } from "@effect/cli"
import { ModelSpecs, OpenAiCompatible, RecordReplay, SamplingOptions } from "@o1coder/models"
import { ProblemsRepo } from "@o1coder/store/ProblemsRepo"
import { Console, Effect, Option } from "effect"
import { provide } from "../Layers.ts"
import { output } from "../Output.ts"
import { printNotice, withSpinner } from "../Progress.ts"

const spec = Args.text({ name: "SPEC" }).pipe(
  Args.withDescription(
    "Model spec: openai:<base url>[,<url>...]#<model> | llama:<file.gguf> | simulated[:<params.json>] | " +
      "simulated-tcg[:<wrong share>] | replay:<run id>[#<model version>]"
  )
)
const prompt = Options.text("prompt").pipe(Options.withDescription("The exact prompt text."))
const n = Options.integer("samples").pipe(
  Options.withAlias("n"),
  Options.withDefault(3),
  Options.withDescription("Completions, in one request (n = k); also -n.")
)
const maxTokens = Options.integer("max-tokens").pipe(Options.withDefault(128), Options.withDescription("Tokens per completion at most."))
const stop = Options.text("stop").pipe(Options.repeated, Options.withDescription("A stop string (repeatable; \\n is a newline)."))
const temperature = Options.float("temperature").pipe(Options.withDefault(0.8), Options.withDescription("Sampling temperature."))
const seed = Options.integer("seed").pipe(Options.optional, Options.withDescription("Sampling seed."))
const record = Options.choice("record", ["record", "replay-only", "off"]).pipe(
  Options.withDefault("record" as const),
  Options.withDescription("Record/replay mode over the store's model_calls (replay: specs are always replay-only).")
)
const dataset = Options.text("dataset").pipe(
  Options.optional,
  Options.withDescription("For simulated specs: the store's problems they know (default: every problem in the store).")
)
const threads = Options.integer("threads").pipe(
  Options.optional,
  Options.withDescription("llama: CPU threads (default O1CODER_LLAMA_THREADS, else half the cores).")
)
const logprobs = Options.boolean("logprobs").pipe(Options.withDescription("Ask for each token's logprob (printed as their mean; all of them with --json)."))
const json = Options.boolean("json").pipe(Options.withDescription("Print the completions as JSON."))

const tryCommand = Command.make(
  "try",
  { spec, prompt, n, maxTokens, stop, temperature, seed, record, dataset, threads, logprobs, json },
  (a) =>
    Effect.gen(function* () {
      const problems = a.spec.startsWith("simulated")
        ? yield* Effect.flatMap(ProblemsRepo, (repo) => repo.list({ dataset: Option.getOrUndefined(a.dataset) }))
        : []
      // A ticking line while a model loads and generates (a llama model on a busy CPU takes a while).
      const model = yield* withSpinner(`loading ${a.spec}`, ModelSpecs.make(a.spec, {
        problems,
        record: a.record as RecordReplay.RecordMode,
        openai: { onNotice: (notice) => printNotice(OpenAiCompatible.formatNotice(notice)) },
        ...(Option.isSome(a.threads) ? { llama: { threads: a.threads.value } } : {})
      }))
      const started = performance.now()
      const completions = yield* withSpinner(`${a.n} completion(s) from ${model.modelVersion}`, model.complete(
        a.prompt.replace(/\\n/g, "\n"),
        new SamplingOptions({
          n: a.n,
          maxTokens: a.maxTokens,
          stop: a.stop.map((s) => s.replace(/\\n/g, "\n")),
          temperature: a.temperature,
          logprobs: a.logprobs,
          ...(Option.isSome(a.seed) ? { seed: a.seed.value } : {})
        })
      ))
      const seconds = (performance.now() - started) / 1000
      yield* output(
        a.json,
        { modelVersion: model.modelVersion, seconds, completions },
        Effect.gen(function* () {
          yield* Console.log(`model version: ${model.modelVersion}  (${seconds.toFixed(2)} s)`)
          for (const [i, c] of completions.entries()) {
            const countedBy = c.tokensCountedBy !== undefined ? ` (${c.tokensCountedBy})` : ""
            yield* Console.log(
              `--- completion ${i}: finish ${c.finishReason}, tokens ${c.promptTokens} in / ${c.completionTokens} out${countedBy}` +
                `${c.cached ? ", replayed from the store" : ""}`
            )
            if (c.logprobs !== undefined && c.logprobs.length > 0) {
              const mean = c.logprobs.reduce((s, l) => s + l.logprob, 0) / c.logprobs.length
              yield* Console.log(`    mean logprob ${mean.toFixed(3)} over ${c.logprobs.length} tokens`)
            }
            yield* Console.log(c.text)
          }
        })
      )
    }).pipe(Effect.scoped, provide("store"))
).pipe(
  Command.withDescription(
    "Sample completions of an exact prompt from any backend\n" +
      "Calls are recorded in model_calls: a repeated call is replayed from the store. For a server:\n" +
      "openai:http://HOST:8000/v1#MODEL (vLLM, SGLang, llama.cpp server, Ollama); llama-server's -np N serves at most\n" +
      "N completions per request, more are sent as several requests.\n\n" +
      "The simulated policy answers only prompts holding a stored problem's statement (as the search's do).\n\n" +
      "Example:\n" +
      "  o1coder models try llama:../shared/data/models/stories260K.gguf \\\n" +
      "      --prompt \"Once upon a time\" -n 3 --max-tokens 40"
  )
)

export const models = Command.make("models").pipe(
  Command.withDescription("Language model backends: try a model spec"),
  Command.withSubcommands([tryCommand])
)

export const commands = [models] as const
