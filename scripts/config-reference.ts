/**
 * Writes docs/CONFIG.md from the RunConfig Schema (see packages/selfplay/src/ConfigReference.ts).
 *   npx tsx scripts/config-reference.ts
 */
import { REPO_ROOT } from "@o1coder/domain"
import { configReference } from "@o1coder/selfplay/ConfigReference"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"

const file = NodePath.join(REPO_ROOT, "docs/CONFIG.md")
NodeFs.mkdirSync(NodePath.dirname(file), { recursive: true })
NodeFs.writeFileSync(file, configReference())
console.log(`wrote ${NodePath.relative(REPO_ROOT, file)}`)
