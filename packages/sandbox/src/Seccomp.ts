/**
 * The seccomp filter every worker runs under (handed to bubblewrap with `--seccomp FD`): a classic BPF
 * program, generated here, that makes these system calls fail with EPERM for the server and every process
 * it forks. Numbers are the kernel's (x86_64: asm/unistd_64.h; aarch64: asm-generic/unistd.h).
 */
const DENIED = {
  "kernel keyring": ["add_key", "request_key", "keyctl"],
  "SysV IPC and POSIX message queues": [
    "shmget", "shmat", "shmdt", "shmctl", "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop", "semctl", "semtimedop",
    "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr"
  ],
  "namespaces": ["unshare", "setns"],
  "ptrace and other processes' memory": ["ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd"],
  "bpf and perf": ["bpf", "perf_event_open"],
  "mounts": ["mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr"],
  "kernel and system administration": [
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot", "swapon", "swapoff", "acct",
    "quotactl", "syslog", "vhangup", "lookup_dcookie", "open_by_handle_at", "name_to_handle_at", "userfaultfd", "fanotify_init",
    "io_uring_setup", "io_uring_enter", "io_uring_register"
  ],
  "x86 port and LDT access": ["iopl", "ioperm", "modify_ldt", "uselib"]
} as const

type SyscallName = (typeof DENIED)[keyof typeof DENIED][number] | "clone" | "clone3"

const X86_64: Partial<Record<SyscallName, number>> = {
  add_key: 248, request_key: 249, keyctl: 250,
  shmget: 29, shmat: 30, shmctl: 31, shmdt: 67, msgget: 68, msgsnd: 69, msgrcv: 70, msgctl: 71, semget: 64, semop: 65,
  semctl: 66, semtimedop: 220, mq_open: 240, mq_unlink: 241, mq_timedsend: 242, mq_timedreceive: 243, mq_notify: 244,
  mq_getsetattr: 245,
  unshare: 272, setns: 308,
  ptrace: 101, process_vm_readv: 310, process_vm_writev: 311, kcmp: 312, pidfd_getfd: 438,
  bpf: 321, perf_event_open: 298,
  mount: 165, umount2: 166, pivot_root: 155, chroot: 161, move_mount: 429, open_tree: 428, fsopen: 430, fsconfig: 431,
  fsmount: 432, fspick: 433, mount_setattr: 442,
  kexec_load: 246, kexec_file_load: 320, init_module: 175, finit_module: 313, delete_module: 176, reboot: 169, swapon: 167,
  swapoff: 168, acct: 163, quotactl: 179, syslog: 103, vhangup: 153, lookup_dcookie: 212, open_by_handle_at: 304,
  name_to_handle_at: 303, userfaultfd: 323, fanotify_init: 300, io_uring_setup: 425, io_uring_enter: 426, io_uring_register: 427,
  iopl: 172, ioperm: 173, modify_ldt: 154, uselib: 134,
  clone: 56, clone3: 435
}

const AARCH64: Partial<Record<SyscallName, number>> = {
  add_key: 217, request_key: 218, keyctl: 219,
  shmget: 194, shmat: 196, shmdt: 197, shmctl: 195, msgget: 186, msgsnd: 189, msgrcv: 188, msgctl: 187, semget: 190,
  semop: 193, semctl: 191, semtimedop: 192, mq_open: 180, mq_unlink: 181, mq_timedsend: 182, mq_timedreceive: 183,
  mq_notify: 184, mq_getsetattr: 185,
  unshare: 97, setns: 268,
  ptrace: 117, process_vm_readv: 270, process_vm_writev: 271, kcmp: 272, pidfd_getfd: 438,
  bpf: 280, perf_event_open: 241,
  mount: 40, umount2: 39, pivot_root: 41, chroot: 51, move_mount: 429, open_tree: 428, fsopen: 430, fsconfig: 431,
  fsmount: 432, fspick: 433, mount_setattr: 442,
  kexec_load: 104, kexec_file_load: 294, init_module: 105, finit_module: 273, delete_module: 106, reboot: 142, swapon: 224,
  swapoff: 225, acct: 89, quotactl: 60, syslog: 116, vhangup: 58, lookup_dcookie: 18, open_by_handle_at: 265,
  name_to_handle_at: 264, userfaultfd: 282, fanotify_init: 262, io_uring_setup: 425, io_uring_enter: 426, io_uring_register: 427,
  clone: 220, clone3: 435
}

const ARCHES: Record<string, { readonly audit: number; readonly table: Partial<Record<SyscallName, number>>; readonly x32: boolean }> = {
  x64: { audit: 0xc000003e, table: X86_64, x32: true },
  arm64: { audit: 0xc00000b7, table: AARCH64, x32: false }
}

/** Namespace flags of clone(2)'s first argument (CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET). */
const CLONE_NEW_MASK = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000

const LD_W_ABS = 0x20
const JEQ_K = 0x15
const JGE_K = 0x35
const JSET_K = 0x45
const RET_K = 0x06
const RET_ALLOW = 0x7fff0000
const RET_ERRNO = 0x00050000
const EPERM = 1
const ENOSYS = 38

type Label = "deny" | "allow" | "nosys"
interface Insn {
  readonly code: number
  readonly k: number
  readonly jt?: Label | undefined
  readonly jf?: Label | undefined
  readonly label?: Label | undefined
}

export interface SeccompFilter {
  /** The compiled program (struct sock_filter[], native little-endian), as bubblewrap reads it. */
  readonly program: Buffer
  /** What it denies, grouped, for `o1coder doctor` and the README. */
  readonly denied: Readonly<Record<string, ReadonlyArray<string>>>
  readonly syscalls: number
  /** keyctl's number here (the probe calls it raw: the C library has no wrapper). */
  readonly keyctl: number
  /** The architecture's numbers of every call the filter names (tests check them against the kernel headers). */
  readonly numbers: Readonly<Record<string, number>>
  /** AUDIT_ARCH_* of the architecture. */
  readonly audit: number
}

/** The filter for this machine's architecture, or undefined where none is defined (then isolation is partial). */
export const filterFor = (arch: string = process.arch): SeccompFilter | undefined => {
  const spec = ARCHES[arch]
  if (spec === undefined) return undefined
  const numbers: Array<number> = []
  const denied: Record<string, Array<string>> = {}
  for (const [group, names] of Object.entries(DENIED)) {
    for (const name of names) {
      const nr = spec.table[name]
      if (nr === undefined) continue // e.g. no iopl on aarch64
      numbers.push(nr)
      ;(denied[group] ??= []).push(name)
    }
  }
  denied["namespaces"]!.push("clone with CLONE_NEW* flags", "clone3 (ENOSYS: the C library falls back to clone)")
  const insns: Array<Insn> = [
    { code: LD_W_ABS, k: 4 }, // seccomp_data.arch
    { code: JEQ_K, k: spec.audit, jf: "deny" },
    { code: LD_W_ABS, k: 0 }, // seccomp_data.nr
    ...(spec.x32 ? [{ code: JGE_K, k: 0x40000000, jt: "deny" as const }] : []),
    // Below the lowest number listed (read, write, mmap, ... on x86_64): allowed at once.
    { code: JGE_K, k: Math.min(...numbers, spec.table.clone!, spec.table.clone3!), jf: "allow" },
    ...numbers.map((k) => ({ code: JEQ_K, k, jt: "deny" as const })),
    { code: JEQ_K, k: spec.table.clone3!, jt: "nosys" },
    { code: JEQ_K, k: spec.table.clone!, jf: "allow" },
    { code: LD_W_ABS, k: 16 }, // clone: the low 32 bits of args[0], its flags
    { code: JSET_K, k: CLONE_NEW_MASK, jt: "deny" },
    { code: RET_K, k: RET_ALLOW, label: "allow" },
    { code: RET_K, k: RET_ERRNO | ENOSYS, label: "nosys" },
    { code: RET_K, k: RET_ERRNO | EPERM, label: "deny" }
  ]
  const at = new Map<Label, number>()
  insns.forEach((insn, i) => insn.label !== undefined && at.set(insn.label, i))
  const program = Buffer.alloc(insns.length * 8)
  insns.forEach((insn, i) => {
    const offset = (label: Label | undefined) => {
      if (label === undefined) return 0
      const d = at.get(label)! - i - 1
      if (d < 0 || d > 255) throw new Error(`seccomp: jump to ${label} out of range at ${i}`)
      return d
    }
    program.writeUInt16LE(insn.code, i * 8)
    program.writeUInt8(offset(insn.jt), i * 8 + 2)
    program.writeUInt8(offset(insn.jf), i * 8 + 3)
    program.writeUInt32LE(insn.k >>> 0, i * 8 + 4)
  })
  return { program, denied, syscalls: numbers.length + 2, keyctl: spec.table.keyctl!, numbers: spec.table, audit: spec.audit }
}

/** One line for `o1coder doctor`. */
export const describeFilter = (filter: SeccompFilter): string =>
  `seccomp filter (${filter.syscalls} system calls): denies ${Object.keys(filter.denied).join(", ")}`
