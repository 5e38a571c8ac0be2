import { Schema } from "effect"
import { databaseMessage } from "./SqlErrors.ts"

/** Where a Postgres URL points (never its password). */
export interface PostgresAddress {
  readonly host: string
  readonly port: number
  readonly database: string
  readonly user: string
}

/** The store's Postgres could not be reached or opened: where, why, and what to do. */
export class DatabaseConnectFailed extends Schema.TaggedError<DatabaseConnectFailed>()("DatabaseConnectFailed", {
  target: Schema.String,
  reason: Schema.String,
  fix: Schema.String,
  /** The server may answer later (refused, unreachable, starting up): exit code 75, retry later. */
  temporary: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return `cannot connect to ${this.target}: ${this.reason}\nfix: ${this.fix}`
  }
}

const FORMAT = "postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"

/** The address in a Postgres URL, or a DatabaseConnectFailed saying what is wrong with the URL. */
export const parsePostgresUrl = (url: string): PostgresAddress | DatabaseConnectFailed => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return new DatabaseConnectFailed({ target: "Postgres", reason: `the database URL is not a URL: ${JSON.stringify(url.replace(/:[^:@/]*@/, ":***@"))}`, fix: `pass --database-url (or DATABASE_URL) as ${FORMAT}` })
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    return new DatabaseConnectFailed({ target: "Postgres", reason: `the database URL's scheme is ${parsed.protocol} (expected postgres:)`, fix: `pass --database-url as ${FORMAT}; without it the store is embedded PGlite` })
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""))
  return {
    host: parsed.hostname || "localhost",
    port: parsed.port === "" ? 5432 : Number(parsed.port),
    database: database === "" ? decodeURIComponent(parsed.username) || "postgres" : database,
    user: decodeURIComponent(parsed.username) || "postgres"
  }
}

const describe = (a: PostgresAddress) => `Postgres database "${a.database}" at ${a.host}:${a.port} as user "${a.user}"`

/** Why the connection failed (the driver's code and message) and the fix that usually helps. */
export const connectFailed = (a: PostgresAddress, error: unknown): DatabaseConnectFailed => {
  const cause = typeof error === "object" && error !== null && "cause" in error ? (error as { cause: unknown }).cause : error
  const code = typeof cause === "object" && cause !== null ? String((cause as { code?: unknown }).code ?? "") : ""
  const said = databaseMessage(cause)
  const text = said?.message ?? (cause instanceof Error ? cause.message : String(cause))
  const target = describe(a)
  const make = (reason: string, fix: string, temporary = false) => new DatabaseConnectFailed({ target, reason, fix, temporary, cause: error })
  switch (code) {
    case "ECONNREFUSED":
      return make(`connection refused (nothing listens on ${a.host}:${a.port})`, `start Postgres (sudo service postgresql start), or correct the host and port in --database-url`, true)
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return make(`host ${a.host} not found (${code})`, "correct the host in --database-url")
    case "ETIMEDOUT":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return make(`${a.host}:${a.port} is unreachable (${code})`, "check the host, the port and the network (a firewall?)", true)
    case "3D000":
      return make(`SQLSTATE 3D000: ${text}`, `create it (createdb -h ${a.host} -p ${a.port} -U ${a.user} ${a.database}), or name an existing database in --database-url`)
    case "28P01":
    case "28000":
      return make(`SQLSTATE ${code}: ${text}`, "check the user and password in --database-url (and pg_hba.conf on the server)")
    case "57P03":
      return make(`SQLSTATE 57P03: ${text}`, "the server is starting or shutting down: try again in a moment", true)
    default:
      // A reset, a timeout, a connection exception (08xxx): the server may answer later.
      return make(
        `${code !== "" ? `${code}: ` : ""}${text}`,
        "check that Postgres runs and that --database-url names it",
        code === "ECONNRESET" || code.startsWith("08") || /timeout|timed out|Connection terminated/i.test(text)
      )
  }
}
