import { createHash } from "node:crypto"

/** Canonical JSON (sorted keys) so that equal values hash equally. */
export const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
      : v
  )

export const sha256 = (text: string | Uint8Array): string => createHash("sha256").update(text).digest("hex")

export const hashOf = (value: unknown): string => sha256(canonicalJson(value))
