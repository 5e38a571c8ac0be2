import { Config, Effect } from "effect"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import { fileURLToPath } from "node:url"

/** The repository root (this file is packages/domain/src/SharedData.ts). */
export const REPO_ROOT = fileURLToPath(new URL("../../..", import.meta.url))

/**
 * Public benchmark data lives beside the checkout in `../shared/data` and is never copied into
 * the repository. `O1CODER_SHARED_DATA` points elsewhere.
 */
export const sharedDataDirConfig: Config.Config<string> = Config.string("O1CODER_SHARED_DATA").pipe(
  Config.withDefault(NodePath.resolve(REPO_ROOT, "..", "shared", "data"))
)

export const sharedDataDir = (): string => Effect.runSync(sharedDataDirConfig)

export const sharedDataPath = (relative: string): string => NodePath.join(sharedDataDir(), relative)

/** For tests: the path if present, else a reason to skip that names the missing file. */
export const sharedDataFile = (relative: string): { readonly path: string; readonly missing: string | undefined } => {
  const path = sharedDataPath(relative)
  return { path, missing: NodeFs.existsSync(path) ? undefined : `shared data file absent: ${path}` }
}
