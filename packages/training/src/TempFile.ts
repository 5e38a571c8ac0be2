import * as Fs from "node:fs"
import * as Path from "node:path"

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

/**
 * The temporary sibling a file is written to before it is renamed into place (`F.tmp-PID`). Those
 * a killed process left next to `target` are removed first: an export killed mid-write is written
 * again by the resumed run, which leaves no temporary file behind.
 */
export const tempSiblingOf = (target: string): string => {
  const dir = Path.dirname(target)
  const prefix = `${Path.basename(target)}.tmp-`
  let names: Array<string> = []
  try {
    names = Fs.readdirSync(dir)
  } catch {
    // No directory yet: nothing was left behind.
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue
    const pid = Number(name.slice(prefix.length))
    if (Number.isInteger(pid) && pid !== process.pid && !alive(pid)) Fs.rmSync(Path.join(dir, name), { force: true })
  }
  return `${target}.tmp-${process.pid}`
}
