import * as Command from "@effect/platform/Command"
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import { REPO_ROOT } from "@o1coder/domain"
import { NodeContext } from "@effect/platform-node"
import { Config, Context, Data, Duration, Effect, Layer, Schedule, Stream } from "effect"
import type { Scope } from "effect"
import * as ChildProcess from "node:child_process"
import * as NodeFs from "node:fs"
import * as Net from "node:net"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"

/**
 * llama.cpp's `llama-server` for tests: the binary that `scripts/llama-server.sh` builds once per
 * machine (from the llama.cpp source node-llama-cpp ships), started on a free port of a random
 * 127.0.0.x address and stopped when the scope closes. Its log goes to a file (`logFile`).
 */

export const BUILD_HINT =
  "build it once with `bash scripts/llama-server.sh` (about an hour on 2 cores; cached in ~/.cache/o1coder/llama-server)"

/** `O1CODER_LLAMA_SERVER`: a llama-server binary to use instead of the one the script builds. */
const binaryOverride = Config.string("O1CODER_LLAMA_SERVER").pipe(Config.withDefault(""))

/** For tests: the binary's path if built, else a reason to skip that says how to build it. */
export const binary = (): { readonly path: string; readonly missing: string | undefined } => {
  const override = Effect.runSync(binaryOverride)
  if (override !== "") {
    return { path: override, missing: NodeFs.existsSync(override) ? undefined : `O1CODER_LLAMA_SERVER=${override} does not exist` }
  }
  const script = NodePath.join(REPO_ROOT, "scripts/llama-server.sh")
  const result = ChildProcess.spawnSync("bash", [script, "--path"], { encoding: "utf8" })
  const path = result.stdout.trim()
  if (result.status === 0 && path !== "") return { path, missing: undefined }
  return { path, missing: `llama-server is not built (${path || result.stderr.trim()}): ${BUILD_HINT}` }
}

export class LlamaServerError extends Data.TaggedError("LlamaServerError")<{ readonly reason: string }> {
  override get message() {
    return `llama-server: ${this.reason}`
  }
}

export interface LlamaServerOptions {
  readonly binary: string
  readonly model: string
  /** `-t` (default 1: more threads collapse on a busy machine). */
  readonly threads?: number | undefined
  /** `-np`, the parallel slots: the most completions one request may ask for (default 4). */
  readonly parallel?: number | undefined
  /** `-c`, shared by the slots: each gets contextSize / parallel tokens (default 8192). */
  readonly contextSize?: number | undefined
  /** The served model name (`--alias`, default `stories260K`). */
  readonly alias?: string | undefined
  readonly extraArgs?: ReadonlyArray<string> | undefined
}

export interface LlamaServer {
  /** `http://127.0.0.x:port/v1`. */
  readonly baseUrl: string
  readonly host: string
  readonly port: number
  readonly alias: string
  readonly parallel: number
  readonly logFile: string
}

/** A free TCP port on `host` (the kernel's choice; released before the server binds it). */
const freePort = (host: string) =>
  Effect.async<number, LlamaServerError>((resume) => {
    const probe = Net.createServer()
    probe.once("error", (e) => resume(Effect.fail(new LlamaServerError({ reason: `no free port on ${host}: ${e.message}` }))))
    probe.listen(0, host, () => {
      const port = (probe.address() as Net.AddressInfo).port
      probe.close(() => resume(Effect.succeed(port)))
    })
  })

/** Starts the server and waits until `/health` answers 200 (the model is loaded). */
export const make = (options: LlamaServerOptions): Effect.Effect<LlamaServer, LlamaServerError, Scope.Scope | CommandExecutor.CommandExecutor> =>
  Effect.gen(function* () {
    const host = `127.0.0.${2 + Math.floor(Math.random() * 250)}`
    const port = yield* freePort(host)
    const parallel = options.parallel ?? 4
    const alias = options.alias ?? "stories260K"
    const dir = yield* Effect.acquireRelease(
      Effect.sync(() => NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "o1-llama-server-"))),
      (d) => Effect.sync(() => NodeFs.rmSync(d, { recursive: true, force: true }))
    )
    const logFile = NodePath.join(dir, "server.log")
    const args = [
      "-m", options.model, "--alias", alias, "-t", String(options.threads ?? 1), "-np", String(parallel),
      "-c", String(options.contextSize ?? 8192), "--host", host, "--port", String(port), "--no-webui", ...(options.extraArgs ?? [])
    ]
    const process = yield* Command.make(options.binary, ...args).pipe(
      Command.start,
      Effect.mapError((e) => new LlamaServerError({ reason: `cannot start ${options.binary}: ${e.message}` }))
    )
    const log = NodeFs.createWriteStream(logFile)
    yield* Effect.addFinalizer(() => Effect.async<void>((resume) => void log.end(() => resume(Effect.void))))
    yield* Stream.merge(process.stdout, process.stderr).pipe(
      Stream.runForEach((chunk) => Effect.sync(() => void log.write(chunk))),
      Effect.ignore,
      Effect.forkScoped
    )
    const baseUrl = `http://${host}:${port}`
    const tail = () => (NodeFs.existsSync(logFile) ? NodeFs.readFileSync(logFile, "utf8").split("\n").slice(-15).join("\n") : "")
    yield* Effect.tryPromise({
      try: (signal) => fetch(`${baseUrl}/health`, { signal }).then((r) => (r.status === 200 ? undefined : Promise.reject(new Error(`HTTP ${r.status}`)))),
      catch: (e) => ({ _tag: "NotReady" as const, reason: String(e) })
    }).pipe(
      Effect.timeout("2 seconds"),
      Effect.retry(Schedule.spaced("250 millis").pipe(Schedule.upTo(Duration.seconds(90)))),
      Effect.raceFirst(
        process.exitCode.pipe(
          Effect.flatMap((code) => new LlamaServerError({ reason: `exited with ${code} while starting:\n${tail()}` })),
          Effect.catchTag("SystemError", "BadArgument", (e) => new LlamaServerError({ reason: e.message }))
        )
      ),
      Effect.mapError((e) => (e._tag === "LlamaServerError" ? e : new LlamaServerError({ reason: `not ready within 90 s (${"reason" in e ? e.reason : "timeout"}):\n${tail()}` })))
    )
    return { baseUrl: `${baseUrl}/v1`, host, port, alias, parallel, logFile } satisfies LlamaServer
  })

/** The running server, for tests that share one (`layer`). */
export class Server extends Context.Tag("o1coder/testing/LlamaServer")<Server, LlamaServer>() {}

export const layer = (options: LlamaServerOptions): Layer.Layer<Server, LlamaServerError> =>
  Layer.scoped(Server, make(options)).pipe(Layer.provide(NodeContext.layer))
