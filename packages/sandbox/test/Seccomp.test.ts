import { describe, expect, it } from "@effect/vitest"
import * as NodeFs from "node:fs"
import { filterFor, type SeccompFilter } from "../src/Seccomp.ts"

/** Runs the classic-BPF subset the generator emits over one seccomp_data (nr, arch, args[0]). */
const run = (filter: SeccompFilter, data: { nr: number; arch: number; arg0?: number }): number => {
  const p = filter.program
  let a = 0
  for (let pc = 0; pc < p.length / 8; pc++) {
    const code = p.readUInt16LE(pc * 8)
    const jt = p.readUInt8(pc * 8 + 2)
    const jf = p.readUInt8(pc * 8 + 3)
    const k = p.readUInt32LE(pc * 8 + 4)
    if (code === 0x20) a = k === 0 ? data.nr : k === 4 ? data.arch : k === 16 ? (data.arg0 ?? 0) >>> 0 : 0
    else if (code === 0x06) return k
    else {
      const taken = code === 0x15 ? a === k : code === 0x35 ? a >>> 0 >= k : code === 0x45 ? (a & k) !== 0 : undefined
      if (taken === undefined) throw new Error(`opcode ${code} at ${pc}`)
      pc += taken ? jt : jf
    }
  }
  throw new Error("fell off the program")
}

const ALLOW = 0x7fff0000
const EPERM = 0x00050001
const ENOSYS = 0x00050026

/** `#define __NR_name nr` lines of a kernel header. */
const header = (path: string): Map<string, number> | undefined => {
  if (!NodeFs.existsSync(path)) return undefined
  const out = new Map<string, number>()
  for (const m of NodeFs.readFileSync(path, "utf8").matchAll(/#define __NR(?:3264)?_(\w+)\s+(\d+)/g)) out.set(m[1]!, Number(m[2]))
  return out
}

describe("seccomp filter", () => {
  for (const [arch, headerPath, plain] of [
    ["x64", "/usr/include/x86_64-linux-gnu/asm/unistd_64.h", { read: 0, write: 1, mmap: 9, openat: 257, wait4: 61 }],
    ["arm64", "/usr/include/asm-generic/unistd.h", { read: 63, write: 64, mmap: 222, openat: 56, wait4: 260 }]
  ] as const) {
    it(`${arch}: denies what it lists, lets the rest through, refuses namespace flags and foreign architectures`, () => {
      const f = filterFor(arch)!
      const names = Object.values(f.denied).flat().filter((n) => !n.includes(" "))
      expect(names.length).toBeGreaterThan(40)
      for (const name of names) expect(run(f, { nr: f.numbers[name]!, arch: f.audit }), name).toBe(EPERM)
      for (const [name, nr] of Object.entries(plain)) expect(run(f, { nr, arch: f.audit }), name).toBe(ALLOW)
      const clone = f.numbers.clone!
      expect(run(f, { nr: clone, arch: f.audit, arg0: 0x01200011 })).toBe(ALLOW) // fork(): CLONE_CHILD_SETTID | CLEARTID | SIGCHLD
      expect(run(f, { nr: clone, arch: f.audit, arg0: 0x003d0f00 })).toBe(ALLOW) // pthread_create's flags
      for (const flag of [0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000]) {
        expect(run(f, { nr: clone, arch: f.audit, arg0: flag | 17 })).toBe(EPERM)
      }
      expect(run(f, { nr: f.numbers.clone3!, arch: f.audit })).toBe(ENOSYS)
      expect(run(f, { nr: 0, arch: 0x40000003 })).toBe(EPERM) // i386
      if (arch === "x64") expect(run(f, { nr: 0x40000000, arch: f.audit })).toBe(EPERM) // the x32 ABI
      // Every number is the kernel's (where the headers are installed).
      const table = header(headerPath)
      if (table !== undefined) for (const [name, nr] of Object.entries(f.numbers)) expect(table.get(name), name).toBe(nr)
    })
  }

  it("exists only for the architectures it knows", () => {
    expect(filterFor("ia32")).toBeUndefined()
  })
})
