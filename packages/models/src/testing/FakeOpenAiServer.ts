import { Effect } from "effect"
import type { Scope } from "effect"
import * as NodeHttp from "node:http"
import { listenScoped } from "./Listen.ts"

/**
 * A fake OpenAI-compatible HTTP server for tests: real sockets on 127.0.0.1, every request
 * recorded, replies scripted (a queue consumed one per request, then a default responder that
 * echoes `n` completions). It proves request shapes and exercises retries, timeouts and errors.
 */

export interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  /** The parsed JSON body (undefined when the body is not JSON). */
  readonly body: any
  readonly rawBody: string
}

export interface ScriptedReply {
  readonly status?: number
  /** A JSON value to send, or a raw string (e.g. malformed JSON). */
  readonly body?: unknown
  readonly raw?: string
  readonly headers?: Record<string, string>
  /** Wait this long before replying (a slow server). */
  readonly delayMs?: number
}

export type Responder = (request: RecordedRequest) => ScriptedReply

export interface FakeOpenAiServer {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:40123/v1`. */
  readonly baseUrl: string
  readonly port: number
  /** Requests received so far, in arrival order. */
  readonly requests: () => ReadonlyArray<RecordedRequest>
  /** Queue replies consumed one per request before the default responder applies. */
  readonly script: (...replies: ReadonlyArray<ScriptedReply | Responder>) => void
  /** Replace the default responder. */
  readonly setDefault: (responder: Responder) => void
  /** Forget recorded requests and queued replies. */
  readonly reset: () => void
  /** Most requests handled at once so far (for concurrency limits). */
  readonly maxInFlight: () => number
}

/** Completion texts of the default responder: `sample <i> of <n> for <last 20 prompt chars>`. */
export const defaultText = (prompt: string, index: number, n: number): string =>
  `sample ${index} of ${n} for ${JSON.stringify(prompt.slice(-20))}`

/** The default responder: an OpenAI-shaped completion or chat completion with `n` choices. */
export const echoResponder: Responder = (request) => {
  const body = request.body ?? {}
  const n: number = typeof body.n === "number" ? body.n : 1
  const isChat = request.path.endsWith("/chat/completions")
  const prompt: string = isChat
    ? (body.messages ?? []).map((m: { content: string }) => m.content).join("\n")
    : String(body.prompt ?? "")
  const choices = Array.from({ length: n }, (_, index) => {
    const text = defaultText(prompt, index, n)
    const tokens = text.split(" ")
    return isChat
      ? {
          index,
          message: { role: "assistant", content: text },
          finish_reason: "stop",
          logprobs: body.logprobs ? { content: tokens.map((token) => ({ token, logprob: -0.5 })) } : null
        }
      : {
          index,
          text,
          finish_reason: "stop",
          logprobs: body.logprobs ? { tokens, token_logprobs: tokens.map(() => -0.5) } : null
        }
  })
  const promptTokens = Math.ceil(prompt.length / 4)
  const completionTokens = choices.length * 6
  return {
    body: {
      id: "fake-1",
      object: isChat ? "chat.completion" : "text_completion",
      created: 0,
      model: body.model ?? "fake",
      choices,
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens }
    }
  }
}

/** Starts the server on an ephemeral port of 127.0.0.1; it is closed when the scope closes. */
export const make = (options: { readonly responder?: Responder } = {}): Effect.Effect<FakeOpenAiServer, never, Scope.Scope> =>
  Effect.gen(function* () {
    const recorded: Array<RecordedRequest> = []
    let queue: Array<ScriptedReply | Responder> = []
    let responder: Responder = options.responder ?? echoResponder
    let inFlight = 0
    let maxInFlight = 0

    const server = NodeHttp.createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => {
        const rawBody = Buffer.concat(chunks).toString("utf8")
        let body: unknown = undefined
        try {
          body = rawBody.length > 0 ? JSON.parse(rawBody) : undefined
        } catch {
          body = undefined
        }
        const request: RecordedRequest = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body, rawBody }
        recorded.push(request)
        const next = queue.shift() ?? responder
        const reply = typeof next === "function" ? next(request) : next
        inFlight++
        maxInFlight = Math.max(maxInFlight, inFlight)
        const send = () => {
          inFlight--
          if (res.destroyed) return
          const text = reply.raw ?? JSON.stringify(reply.body ?? echoResponder(request).body)
          res.writeHead(reply.status ?? 200, { "content-type": "application/json", ...reply.headers })
          res.end(text)
        }
        if (reply.delayMs !== undefined && reply.delayMs > 0) setTimeout(send, reply.delayMs)
        else send()
      })
    })
    const port = yield* listenScoped(server)

    return {
      baseUrl: `http://127.0.0.1:${port}/v1`,
      port,
      requests: () => recorded.slice(),
      script: (...replies) => {
        queue.push(...replies)
      },
      setDefault: (r) => {
        responder = r
      },
      reset: () => {
        recorded.length = 0
        queue = []
        maxInFlight = 0
      },
      maxInFlight: () => maxInFlight
    } satisfies FakeOpenAiServer
  })
