import { Database } from "@o1coder/store"

/** The program's one SqlClient: Postgres when DATABASE_URL (or --database-url) is set, else embedded PGlite. */
export const DatabaseLive = Database.layerFromConfig
