import { Effect } from "effect"
import type { Scope } from "effect"
import * as NodeHttp from "node:http"
import { listenScoped } from "./Listen.ts"

/**
 * A fault-injecting HTTP proxy for tests, in front of a real server (e.g. llama-server): every
 * request is recorded; a request to a completions path takes the next scripted fault (or the
 * default policy's), others (`/tokenize`, `/health`) are forwarded as they are.
 */

export type Fault =
  /** Answer this status without forwarding (429 with Retry-After, 500, 503, a 400 body, ...). */
  | { readonly _tag: "Status"; readonly status: number; readonly body?: unknown; readonly headers?: Record<string, string> }
  /** Never answer (until the client goes away): a hang past the client's deadline. */
  | { readonly _tag: "Hang" }
  /** Forward, then send the headers and half the body and close the connection. */
  | { readonly _tag: "CloseMidBody" }
  /** Answer 200 with a body that is not JSON, without forwarding. */
  | { readonly _tag: "InvalidJson" }
  /** Forward, then keep only the first `keep` choices of the reply. */
  | { readonly _tag: "Choices"; readonly keep: number }

export interface ProxiedRequest {
  readonly path: string
  readonly body: any
  readonly fault: Fault["_tag"] | undefined
  /** True when the request reached the upstream server. */
  readonly forwarded: boolean
}

export interface FaultProxy {
  /** `http://127.0.0.1:port/v1`. */
  readonly baseUrl: string
  readonly requests: () => ReadonlyArray<ProxiedRequest>
  /** Faults for the next completions requests, one each, before the default policy applies. */
  readonly script: (...faults: ReadonlyArray<Fault>) => void
  /** The fault of every completions request once the script is used up (undefined: forward). */
  readonly setDefault: (policy: (request: { readonly path: string; readonly body: any }) => Fault | undefined) => void
  /** Completions requests currently held by a Hang. */
  readonly hanging: () => number
  readonly reset: () => void
}

const isCompletions = (path: string) => /\/(chat\/)?completions$/.test(path.split("?")[0]!)

export const make = (upstream: { readonly host: string; readonly port: number }): Effect.Effect<FaultProxy, never, Scope.Scope> =>
  Effect.gen(function* () {
    const recorded: Array<ProxiedRequest> = []
    let queue: Array<Fault> = []
    let policy: (request: { readonly path: string; readonly body: any }) => Fault | undefined = () => undefined
    let hanging = 0

    const forward = (req: NodeHttp.IncomingMessage, res: NodeHttp.ServerResponse, body: Buffer) =>
      new Promise<{ status: number; headers: NodeHttp.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        const out = NodeHttp.request(
          { host: upstream.host, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: `${upstream.host}:${upstream.port}` } },
          (res) => {
            const chunks: Array<Buffer> = []
            res.on("data", (c: Buffer) => chunks.push(c))
            res.on("end", () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }))
            res.on("error", reject)
          }
        )
        out.on("error", reject)
        // The client went away before its answer: so does the upstream request.
        res.on("close", () => void (res.writableFinished || out.destroy()))
        out.end(body)
      })

    const handle = async (req: NodeHttp.IncomingMessage, res: NodeHttp.ServerResponse, raw: Buffer) => {
      const path = req.url ?? ""
      let body: any = undefined
      try {
        body = raw.length > 0 ? JSON.parse(raw.toString("utf8")) : undefined
      } catch {
        body = undefined
      }
      const fault = isCompletions(path) ? (queue.shift() ?? policy({ path, body })) : undefined
      const forwards = fault === undefined || fault._tag === "CloseMidBody" || fault._tag === "Choices"
      recorded.push({ path, body, fault: fault?._tag, forwarded: forwards })
      if (fault?._tag === "Status") {
        res.writeHead(fault.status, { "content-type": "application/json", ...fault.headers })
        return res.end(JSON.stringify(fault.body ?? { error: { code: fault.status, message: `injected HTTP ${fault.status}` } }))
      }
      if (fault?._tag === "Hang") {
        hanging++
        return req.socket.once("close", () => void hanging--)
      }
      if (fault?._tag === "InvalidJson") {
        res.writeHead(200, { "content-type": "application/json" })
        return res.end(`{"choices": [{"text": "half`)
      }
      const reply = await forward(req, res, raw)
      let payload = reply.body
      if (fault?._tag === "Choices") {
        const json = JSON.parse(payload.toString("utf8"))
        payload = Buffer.from(JSON.stringify({ ...json, choices: (json.choices ?? []).slice(0, fault.keep) }))
      }
      const { "content-length": _length, "transfer-encoding": _encoding, connection: _connection, ...headers } = reply.headers
      if (fault?._tag === "CloseMidBody") {
        res.writeHead(reply.status, { ...headers, "content-length": String(payload.length) })
        res.write(payload.subarray(0, Math.floor(payload.length / 2)))
        return setTimeout(() => res.socket?.destroy(), 20)
      }
      res.writeHead(reply.status, { ...headers, "content-length": String(payload.length) })
      res.end(payload)
    }

    const server = NodeHttp.createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => {
        handle(req, res, Buffer.concat(chunks)).catch((e) => {
          if (!res.headersSent) res.writeHead(502, { "content-type": "application/json" })
          res.end(JSON.stringify({ error: { message: `proxy: ${String(e)}` } }))
        })
      })
    })
    const port = yield* listenScoped(server)
    return {
      baseUrl: `http://127.0.0.1:${port}/v1`,
      requests: () => recorded.slice(),
      script: (...faults) => void queue.push(...faults),
      setDefault: (p) => {
        policy = p
      },
      hanging: () => hanging,
      reset: () => {
        recorded.length = 0
        queue = []
        policy = () => undefined
      }
    } satisfies FaultProxy
  })
