import { Effect } from "effect"

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120] as const

interface Histogram {
  readonly counts: Array<number>
  sum: number
  count: number
}

/**
 * The service's counters, rendered in Prometheus' text format by `/metrics`: requests by route and
 * status, a latency histogram per route, completions and tests scored, sandbox executions by
 * verdict of their first failing test, the queue's depth (read when rendered).
 */
export interface ServeMetrics {
  readonly request: (route: string, status: number, seconds: number) => Effect.Effect<void>
  readonly scored: (completions: number, tests: number) => Effect.Effect<void>
  readonly execution: (outcome: string) => Effect.Effect<void>
  readonly render: (gauges: { readonly queued: number; readonly capacity: number }) => Effect.Effect<string>
}

const label = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")

export const make: Effect.Effect<ServeMetrics> = Effect.sync(() => {
  const requests = new Map<string, number>()
  const latency = new Map<string, Histogram>()
  const executions = new Map<string, number>()
  let completions = 0
  let tests = 0

  const request = (route: string, status: number, seconds: number) =>
    Effect.sync(() => {
      const key = `route="${label(route)}",status="${status}"`
      requests.set(key, (requests.get(key) ?? 0) + 1)
      const h = latency.get(route) ?? { counts: BUCKETS.map(() => 0), sum: 0, count: 0 }
      BUCKETS.forEach((b, i) => {
        if (seconds <= b) h.counts[i]!++
      })
      h.sum += seconds
      h.count++
      latency.set(route, h)
    })

  const render = (gauges: { readonly queued: number; readonly capacity: number }) =>
    Effect.sync(() => {
      const lines: Array<string> = []
      const family = (name: string, type: string, help: string) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
      family("o1coder_serve_requests_total", "counter", "HTTP requests answered, by route and status.")
      for (const [k, v] of requests) lines.push(`o1coder_serve_requests_total{${k}} ${v}`)
      family("o1coder_serve_request_duration_seconds", "histogram", "Time from a request's arrival to its answer.")
      for (const [route, h] of latency) {
        BUCKETS.forEach((b, i) => lines.push(`o1coder_serve_request_duration_seconds_bucket{route="${label(route)}",le="${b}"} ${h.counts[i]}`))
        lines.push(`o1coder_serve_request_duration_seconds_bucket{route="${label(route)}",le="+Inf"} ${h.count}`)
        lines.push(`o1coder_serve_request_duration_seconds_sum{route="${label(route)}"} ${h.sum}`)
        lines.push(`o1coder_serve_request_duration_seconds_count{route="${label(route)}"} ${h.count}`)
      }
      family("o1coder_serve_completions_total", "counter", "Completions scored.")
      lines.push(`o1coder_serve_completions_total ${completions}`)
      family("o1coder_serve_tests_total", "counter", "Tests run for scored completions (cached or not).")
      lines.push(`o1coder_serve_tests_total ${tests}`)
      family("o1coder_serve_executions_total", "counter", "Sandbox executions asked for, by outcome (passed: every test passed; else the first failing verdict).")
      for (const [k, v] of executions) lines.push(`o1coder_serve_executions_total{outcome="${label(k)}"} ${v}`)
      family("o1coder_serve_queue_depth", "gauge", "Completions admitted now (running or waiting for a sandbox worker).")
      lines.push(`o1coder_serve_queue_depth ${gauges.queued}`)
      family("o1coder_serve_queue_capacity", "gauge", "Completions admitted at most; beyond it requests get 429.")
      lines.push(`o1coder_serve_queue_capacity ${gauges.capacity}`)
      return lines.join("\n") + "\n"
    })

  return {
    request,
    scored: (c, t) =>
      Effect.sync(() => {
        completions += c
        tests += t
      }),
    execution: (outcome) => Effect.sync(() => executions.set(outcome, (executions.get(outcome) ?? 0) + 1)),
    render
  }
})
