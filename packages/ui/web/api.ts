import type * as Api from "../src/Api.ts"

/** The JSON the server sends (the encoded side of Api.ts's schemas: dates are ISO strings). */
export type RunSummary = Api.Wire<typeof Api.RunSummary>
export type RunPage = Api.Wire<typeof Api.RunPage>
export type RoundView = Api.Wire<typeof Api.RoundView>
export type SearchSummary = Api.Wire<typeof Api.SearchSummary>
export type VersionView = Api.Wire<typeof Api.VersionView>
export type TreeView = Api.Wire<typeof Api.TreeView>
export type TreeNode = Api.Wire<typeof Api.TreeNode>
export type NodeView = Api.Wire<typeof Api.NodeView>
export type ProblemsPage = Api.Wire<typeof Api.ProblemsPage>
export type ProblemView = Api.Wire<typeof Api.ProblemView>
export type SuiteView = Api.Wire<typeof Api.SuiteView>
export type Test = NonNullable<Api.Wire<typeof Api.VerdictView>["test"]>
export type Health = Api.Wire<typeof Api.Health>

/** The API's 404: what was looked for and the id. */
export class NotFoundError extends Error {
  constructor(
    readonly what: string,
    readonly id: string
  ) {
    super(`${what} not found: ${id}`)
  }
}

export const get = async <A>(path: string): Promise<A> => {
  const response = await fetch(path, { headers: { accept: "application/json" } })
  if (response.status === 404) {
    const body = (await response.json().catch(() => ({}))) as { what?: string; id?: string }
    throw new NotFoundError(body.what ?? "page", body.id ?? path)
  }
  if (!response.ok) throw new Error(`${path}: the server answered ${response.status} (see the o1coder ui terminal)`)
  return (await response.json()) as A
}

const enc = encodeURIComponent

export const api = {
  health: () => get<Health>("/api/health"),
  runs: () => get<ReadonlyArray<RunSummary>>("/api/runs"),
  run: (id: string) => get<RunPage>(`/api/runs/${enc(id)}`),
  searches: (query: { run?: string; problem?: string } = {}) =>
    get<ReadonlyArray<SearchSummary>>(`/api/searches?${new URLSearchParams(query as Record<string, string>)}`),
  tree: (id: string) => get<TreeView>(`/api/searches/${enc(id)}`),
  node: (searchId: string, nodeId: string) => get<NodeView>(`/api/searches/${enc(searchId)}/nodes/${enc(nodeId)}`),
  problems: (query: { dataset?: string; split?: string; offset?: number }) =>
    get<ProblemsPage>(
      `/api/problems?${new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]))}`
    ),
  problem: (id: string) => get<ProblemView>(`/api/problems/${enc(id)}`)
}

/** Page addresses. */
export const href = {
  run: (id: string) => `/runs/${enc(id)}`,
  tree: (id: string, node?: string) => `/searches/${enc(id)}${node !== undefined ? `#${enc(node)}` : ""}`,
  problem: (id: string) => `/problems/${id.split("/").map(enc).join("/")}`
}
