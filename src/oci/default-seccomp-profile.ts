import { endianness, release } from 'node:os';
import type { OciSeccomp } from './oci-types.js';

// The RuntimeDefault seccomp profile: the same decisions as docker's
// default.json (moby/profiles) and containerd's contrib/seccomp
// DefaultProfile, written as a list of facts about syscalls. Anything not
// allowed here fails with EPERM. Names libseccomp does not know (newer
// syscalls on an older libseccomp) are skipped by runc, and runc answers
// ENOSYS for syscalls newer than any named here, so glibc falls back cleanly.

type NodeArch = typeof process.arch;

type SeccompArg = NonNullable<NonNullable<OciSeccomp['syscalls']>[number]['args']>[number];

/** When a rule applies; every condition given must hold. */
interface RuleCondition {
  /** The container's bounding set has this capability. */
  capability?: string;
  /** The container's bounding set lacks this capability. */
  withoutCapability?: string;
  /** The node's architecture (process.arch) is one of these. */
  arches?: readonly NodeArch[];
  /** ... or is none of these. */
  notArches?: readonly NodeArch[];
  /** The kernel is at least this [major, minor]. */
  minKernel?: readonly [number, number];
}

interface SyscallRule {
  names: readonly string[];
  /** "allow", or fail with this errno instead of the default EPERM. */
  action: 'allow' | { errno: number };
  args?: readonly SeccompArg[];
  when?: RuleCondition;
  why?: string;
}

const EPERM = 1;
const ENOSYS = 38;

const AF_ALG = 38;
const AF_VSOCK = 40;

// CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET
const CLONE_NAMESPACE_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;

// personality(2) values a container may set: PER_LINUX, UNAME26, PER_LINUX32, PER_LINUX32|UNAME26, and 0xffffffff (query).
const ALLOWED_PERSONALITIES = [0x0, 0x0008, 0x20000, 0x20008, 0xffffffff];

/** Syscalls every container may make, grouped by what they are for. */
export const ALWAYS_ALLOWED: Readonly<Record<string, readonly string[]>> = {
  processes: [
    'exit', 'exit_group', 'fork', 'vfork', 'execve', 'execveat', 'wait4', 'waitid', 'waitpid',
    'getpid', 'getppid', 'gettid', 'getpgid', 'getpgrp', 'setpgid', 'getsid', 'setsid',
    'set_tid_address', 'set_robust_list', 'get_robust_list', 'rseq', 'restart_syscall', 'prctl',
    'capget', 'capset', 'getpriority', 'setpriority', 'getrusage', 'getrlimit', 'setrlimit', 'prlimit64', 'ugetrlimit',
    'times', 'kill', 'tkill', 'tgkill', 'pidfd_open', 'pidfd_send_signal', 'process_mrelease',
    'seccomp', 'landlock_add_rule', 'landlock_create_ruleset', 'landlock_restrict_self',
    'ioprio_get', 'ioprio_set', 'membarrier', 'getcpu', 'uname', 'sysinfo', 'umask',
    'get_thread_area', 'set_thread_area', 'map_shadow_stack', 'uretprobe', 'riscv_hwprobe',
  ],
  scheduling: [
    'sched_getaffinity', 'sched_setaffinity', 'sched_getattr', 'sched_setattr', 'sched_getparam', 'sched_setparam',
    'sched_getscheduler', 'sched_setscheduler', 'sched_get_priority_max', 'sched_get_priority_min',
    'sched_rr_get_interval', 'sched_rr_get_interval_time64', 'sched_yield',
  ],
  credentials: [
    'getuid', 'getuid32', 'geteuid', 'geteuid32', 'getgid', 'getgid32', 'getegid', 'getegid32',
    'getresuid', 'getresuid32', 'getresgid', 'getresgid32', 'getgroups', 'getgroups32',
    'setuid', 'setuid32', 'setgid', 'setgid32', 'setreuid', 'setreuid32', 'setregid', 'setregid32',
    'setresuid', 'setresuid32', 'setresgid', 'setresgid32', 'setgroups', 'setgroups32',
    'setfsuid', 'setfsuid32', 'setfsgid', 'setfsgid32',
  ],
  signals: [
    'rt_sigaction', 'rt_sigpending', 'rt_sigprocmask', 'rt_sigqueueinfo', 'rt_sigreturn', 'rt_sigsuspend',
    'rt_sigtimedwait', 'rt_sigtimedwait_time64', 'rt_tgsigqueueinfo', 'sigaltstack', 'signalfd', 'signalfd4',
    'sigprocmask', 'sigreturn', 'pause', 'alarm',
  ],
  memory: [
    'brk', 'mmap', 'mmap2', 'munmap', 'mremap', 'mprotect', 'madvise', 'mincore', 'mlock', 'mlock2', 'mlockall',
    'munlock', 'munlockall', 'msync', 'remap_file_pages', 'memfd_create', 'memfd_secret',
    'pkey_alloc', 'pkey_free', 'pkey_mprotect', 'mseal', 'cachestat',
  ],
  time: [
    'clock_adjtime', 'clock_adjtime64', 'clock_getres', 'clock_getres_time64', 'clock_gettime', 'clock_gettime64',
    'clock_nanosleep', 'clock_nanosleep_time64', 'nanosleep', 'gettimeofday', 'time', 'adjtimex',
    'getitimer', 'setitimer', 'timer_create', 'timer_delete', 'timer_getoverrun', 'timer_gettime', 'timer_gettime64',
    'timer_settime', 'timer_settime64', 'timerfd_create', 'timerfd_gettime', 'timerfd_gettime64',
    'timerfd_settime', 'timerfd_settime64',
  ],
  futexes: ['futex', 'futex_time64', 'futex_waitv', 'futex_wait', 'futex_wake', 'futex_requeue'],
  fileDescriptors: [
    'read', 'write', 'readv', 'writev', 'pread64', 'pwrite64', 'preadv', 'preadv2', 'pwritev', 'pwritev2',
    'lseek', '_llseek', 'close', 'close_range', 'dup', 'dup2', 'dup3', 'fcntl', 'fcntl64', 'ioctl', 'pipe', 'pipe2',
    'sendfile', 'sendfile64', 'splice', 'tee', 'vmsplice', 'copy_file_range', 'readahead', 'fadvise64', 'fadvise64_64',
    'fallocate', 'flock', 'fsync', 'fdatasync', 'sync', 'syncfs', 'sync_file_range',
    'ftruncate', 'ftruncate64', 'truncate', 'truncate64',
  ],
  paths: [
    'open', 'openat', 'openat2', 'creat', 'access', 'faccessat', 'faccessat2', 'chdir', 'fchdir', 'getcwd',
    'mkdir', 'mkdirat', 'mknod', 'mknodat', 'rmdir', 'rename', 'renameat', 'renameat2', 'link', 'linkat',
    'symlink', 'symlinkat', 'unlink', 'unlinkat', 'readlink', 'readlinkat', 'getdents', 'getdents64',
    'name_to_handle_at', 'listmount', 'statmount',
  ],
  fileStatus: [
    'stat', 'stat64', 'lstat', 'lstat64', 'fstat', 'fstat64', 'fstatat64', 'newfstatat', 'statx',
    'statfs', 'statfs64', 'fstatfs', 'fstatfs64',
    'chmod', 'fchmod', 'fchmodat', 'fchmodat2', 'chown', 'chown32', 'fchown', 'fchown32', 'fchownat', 'lchown', 'lchown32',
    'utime', 'utimes', 'utimensat', 'utimensat_time64', 'futimesat',
  ],
  xattrs: [
    'getxattr', 'lgetxattr', 'fgetxattr', 'getxattrat', 'setxattr', 'lsetxattr', 'fsetxattr', 'setxattrat',
    'listxattr', 'llistxattr', 'flistxattr', 'listxattrat', 'removexattr', 'lremovexattr', 'fremovexattr', 'removexattrat',
  ],
  polling: [
    'poll', 'ppoll', 'ppoll_time64', 'select', '_newselect', 'pselect6', 'pselect6_time64',
    'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_ctl_old', 'epoll_wait', 'epoll_wait_old', 'epoll_pwait', 'epoll_pwait2',
    'eventfd', 'eventfd2', 'inotify_init', 'inotify_init1', 'inotify_add_watch', 'inotify_rm_watch', 'fanotify_mark',
  ],
  // Linux AIO only: io_uring_* stay denied, as in docker's default since 2023.
  asyncIo: ['io_setup', 'io_destroy', 'io_submit', 'io_cancel', 'io_getevents', 'io_pgetevents', 'io_pgetevents_time64'],
  sockets: [
    'accept', 'accept4', 'bind', 'connect', 'listen', 'getsockname', 'getpeername', 'getsockopt', 'setsockopt',
    'socketpair', 'socketcall', 'send', 'sendto', 'sendmsg', 'sendmmsg', 'recv', 'recvfrom', 'recvmsg',
    'recvmmsg', 'recvmmsg_time64', 'shutdown',
  ],
  ipc: [
    'ipc', 'msgctl', 'msgget', 'msgrcv', 'msgsnd', 'semctl', 'semget', 'semop', 'semtimedop', 'semtimedop_time64',
    'shmat', 'shmctl', 'shmdt', 'shmget', 'mq_getsetattr', 'mq_notify', 'mq_open', 'mq_timedreceive',
    'mq_timedreceive_time64', 'mq_timedsend', 'mq_timedsend_time64', 'mq_unlink',
  ],
  randomness: ['getrandom'],
};

/** Syscalls that depend on arguments, the architecture, the kernel or the container's capabilities. */
export const CONDITIONAL_RULES: readonly SyscallRule[] = [
  // socket(2) for every address family but AF_ALG (38) and AF_VSOCK (40): three
  // single-condition rules, since runc turns several conditions on one argument into OR.
  { names: ['socket'], action: 'allow', args: [{ index: 0, value: AF_ALG, op: 'SCMP_CMP_LT' }], why: 'families below AF_ALG' },
  { names: ['socket'], action: 'allow', args: [{ index: 0, value: AF_ALG + 1, op: 'SCMP_CMP_EQ' }], why: 'AF_NFC, between AF_ALG and AF_VSOCK' },
  { names: ['socket'], action: 'allow', args: [{ index: 0, value: AF_VSOCK, op: 'SCMP_CMP_GT' }], why: 'families above AF_VSOCK' },
  ...ALLOWED_PERSONALITIES.map(
    (value): SyscallRule => ({ names: ['personality'], action: 'allow', args: [{ index: 0, value, op: 'SCMP_CMP_EQ' }], why: 'only the harmless personalities' }),
  ),
  { names: ['process_vm_readv', 'process_vm_writev', 'ptrace'], action: 'allow', when: { minKernel: [4, 8] }, why: 'since 4.8 ptrace cannot bypass seccomp' },

  { names: ['sync_file_range2', 'swapcontext'], action: 'allow', when: { arches: ['ppc64'] } },
  { names: ['arm_fadvise64_64', 'arm_sync_file_range', 'sync_file_range2', 'breakpoint', 'cacheflush', 'set_tls'], action: 'allow', when: { arches: ['arm', 'arm64'] } },
  { names: ['arch_prctl'], action: 'allow', when: { arches: ['x64'] } },
  { names: ['modify_ldt'], action: 'allow', when: { arches: ['x64', 'ia32'] } },
  { names: ['s390_pci_mmio_read', 's390_pci_mmio_write', 's390_runtime_instr'], action: 'allow', when: { arches: ['s390', 's390x'] } },
  { names: ['riscv_flush_icache'], action: 'allow', when: { arches: ['riscv64'] } },

  { names: ['open_by_handle_at'], action: 'allow', when: { capability: 'CAP_DAC_READ_SEARCH' } },
  {
    names: [
      'bpf', 'clone', 'clone3', 'fanotify_init', 'fsconfig', 'fsmount', 'fsopen', 'fspick', 'lookup_dcookie',
      'lsm_get_self_attr', 'lsm_list_modules', 'lsm_set_self_attr', 'mount', 'mount_setattr', 'move_mount', 'open_tree',
      'perf_event_open', 'quotactl', 'quotactl_fd', 'setdomainname', 'sethostname', 'setns', 'syslog', 'umount', 'umount2', 'unshare',
    ],
    action: 'allow',
    when: { capability: 'CAP_SYS_ADMIN' },
  },
  {
    names: ['clone'],
    action: 'allow',
    args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
    when: { withoutCapability: 'CAP_SYS_ADMIN', notArches: ['s390', 's390x'] },
    why: 'threads and processes, but no new namespaces',
  },
  {
    names: ['clone'],
    action: 'allow',
    args: [{ index: 1, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
    when: { withoutCapability: 'CAP_SYS_ADMIN', arches: ['s390', 's390x'] },
    why: 's390 passes the clone flags second',
  },
  {
    names: ['clone3'],
    action: { errno: ENOSYS },
    when: { withoutCapability: 'CAP_SYS_ADMIN' },
    why: 'its flags are behind a pointer seccomp cannot read; ENOSYS makes glibc fall back to clone (moby/moby#42681)',
  },
  { names: ['reboot'], action: 'allow', when: { capability: 'CAP_SYS_BOOT' } },
  { names: ['chroot'], action: 'allow', when: { capability: 'CAP_SYS_CHROOT' } },
  { names: ['delete_module', 'init_module', 'finit_module'], action: 'allow', when: { capability: 'CAP_SYS_MODULE' } },
  { names: ['acct'], action: 'allow', when: { capability: 'CAP_SYS_PACCT' } },
  { names: ['kcmp', 'pidfd_getfd', 'process_madvise', 'process_vm_readv', 'process_vm_writev', 'ptrace'], action: 'allow', when: { capability: 'CAP_SYS_PTRACE' } },
  { names: ['iopl', 'ioperm'], action: 'allow', when: { capability: 'CAP_SYS_RAWIO' } },
  { names: ['settimeofday', 'stime', 'clock_settime', 'clock_settime64'], action: 'allow', when: { capability: 'CAP_SYS_TIME' } },
  { names: ['vhangup'], action: 'allow', when: { capability: 'CAP_SYS_TTY_CONFIG' } },
  { names: ['get_mempolicy', 'mbind', 'set_mempolicy', 'set_mempolicy_home_node'], action: 'allow', when: { capability: 'CAP_SYS_NICE' } },
  { names: ['syslog'], action: 'allow', when: { capability: 'CAP_SYSLOG' } },
  { names: ['bpf'], action: 'allow', when: { capability: 'CAP_BPF' } },
  { names: ['perf_event_open'], action: 'allow', when: { capability: 'CAP_PERFMON' } },
];

/** The libseccomp architectures a profile covers on a node of `arch`: the native one and its compat ABIs. */
export function seccompArchitectures(arch: NodeArch = process.arch, littleEndian: boolean = endianness() === 'LE'): string[] {
  switch (arch) {
    case 'x64':
      return ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'];
    case 'ia32':
      return ['SCMP_ARCH_X86'];
    case 'arm64':
      return ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'];
    case 'arm':
      return ['SCMP_ARCH_ARM'];
    case 's390x':
      return ['SCMP_ARCH_S390X', 'SCMP_ARCH_S390'];
    case 'ppc64':
      return [littleEndian ? 'SCMP_ARCH_PPC64LE' : 'SCMP_ARCH_PPC64'];
    case 'riscv64':
      return ['SCMP_ARCH_RISCV64'];
    case 'loong64':
      return ['SCMP_ARCH_LOONGARCH64'];
    default:
      return [];
  }
}

function kernelAtLeast(kernel: string, [major, minor]: readonly [number, number]): boolean {
  const match = /^(\d+)\.(\d+)/.exec(kernel);
  if (!match) return true;
  const [kMajor, kMinor] = [Number(match[1]), Number(match[2])];
  return kMajor > major || (kMajor === major && kMinor >= minor);
}

function capabilityName(name: string): string {
  const upper = name.toUpperCase();
  return upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
}

export interface DefaultProfileOptions {
  /** The node's architecture; defaults to process.arch. */
  arch?: NodeArch;
  /** The kernel release; defaults to os.release(). */
  kernel?: string;
}

/**
 * The RuntimeDefault profile for a container whose bounding set is
 * `capabilities` (e.g. "CAP_SYS_ADMIN"; the prefix is optional).
 */
export function defaultSeccompProfile(capabilities: readonly string[], options: DefaultProfileOptions = {}): OciSeccomp {
  const arch = options.arch ?? process.arch;
  const kernel = options.kernel ?? release();
  const caps = new Set(capabilities.map(capabilityName));
  const applies = (when: RuleCondition | undefined): boolean => {
    if (!when) return true;
    if (when.capability !== undefined && !caps.has(when.capability)) return false;
    if (when.withoutCapability !== undefined && caps.has(when.withoutCapability)) return false;
    if (when.arches && !when.arches.includes(arch)) return false;
    if (when.notArches?.includes(arch)) return false;
    if (when.minKernel && !kernelAtLeast(kernel, when.minKernel)) return false;
    return true;
  };

  const syscalls: NonNullable<OciSeccomp['syscalls']> = [{ names: Object.values(ALWAYS_ALLOWED).flat(), action: 'SCMP_ACT_ALLOW' }];
  for (const rule of CONDITIONAL_RULES) {
    if (!applies(rule.when)) continue;
    const entry: NonNullable<OciSeccomp['syscalls']>[number] =
      rule.action === 'allow' ? { names: [...rule.names], action: 'SCMP_ACT_ALLOW' } : { names: [...rule.names], action: 'SCMP_ACT_ERRNO', errnoRet: rule.action.errno };
    if (rule.args) entry.args = rule.args.map((a) => ({ ...a }));
    syscalls.push(entry);
  }
  return { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: EPERM, architectures: seccompArchitectures(arch), syscalls };
}
