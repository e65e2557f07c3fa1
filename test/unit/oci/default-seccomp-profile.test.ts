import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_CAPABILITIES } from '../../../src/oci/default-spec.js';
import { ALWAYS_ALLOWED, defaultSeccompProfile, seccompArchitectures } from '../../../src/oci/default-seccomp-profile.js';
import type { OciSeccomp } from '../../../src/oci/oci-types.js';

const EPERM = 1;
const ENOSYS = 38;

/** What the profile does with a call of `name` with these argument values: "allow" or the errno it fails with. */
function decide(profile: OciSeccomp, name: string, args: number[] = []): 'allow' | number {
  const outcomes = new Set<'allow' | number>();
  for (const rule of profile.syscalls ?? []) {
    if (!rule.names.includes(name)) continue;
    const matches = (rule.args ?? []).every((a) => {
      const v = args[a.index] ?? 0;
      switch (a.op) {
        case 'SCMP_CMP_EQ':
          return v === a.value;
        case 'SCMP_CMP_LT':
          return v < a.value;
        case 'SCMP_CMP_GT':
          return v > a.value;
        case 'SCMP_CMP_MASKED_EQ':
          return (v & a.value) === (a.valueTwo ?? 0);
        default:
          throw new Error(`op ${a.op} not modelled`);
      }
    });
    if (matches) outcomes.add(rule.action === 'SCMP_ACT_ALLOW' ? 'allow' : (rule.errnoRet ?? EPERM));
  }
  assert.ok(outcomes.size <= 1, `conflicting rules for ${name}`);
  return [...outcomes][0] ?? profile.defaultErrnoRet ?? EPERM;
}

const x64 = { arch: 'x64' as const, kernel: '6.1.0-18-amd64' };
const base = defaultSeccompProfile(DEFAULT_CAPABILITIES, x64);
const withCap = (...caps: string[]): OciSeccomp => defaultSeccompProfile([...DEFAULT_CAPABILITIES, ...caps], x64);

describe('default seccomp profile', () => {
  it('denies with EPERM by default and covers the native and compat ABIs', () => {
    assert.equal(base.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(base.defaultErrnoRet, EPERM);
    assert.deepEqual(base.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    assert.deepEqual(seccompArchitectures('arm64'), ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    assert.deepEqual(defaultSeccompProfile([], { arch: 'arm64' }).architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    for (const rule of base.syscalls ?? []) {
      assert.ok(rule.names.length > 0);
      assert.match(rule.action, /^SCMP_ACT_(ALLOW|ERRNO)$/);
    }
  });

  it('names each always-allowed syscall once', () => {
    const names = Object.values(ALWAYS_ALLOWED).flat();
    assert.equal(new Set(names).size, names.length);
    assert.ok(names.length > 350);
  });

  it('allows what ordinary programs need', () => {
    for (const name of [
      'read', 'write', 'openat', 'openat2', 'execve', 'fork', 'vfork', 'wait4', 'statx', 'newfstatat', 'rseq', 'close_range',
      'faccessat2', 'epoll_pwait2', 'futex', 'getrandom', 'mmap', 'mprotect', 'arch_prctl', 'set_robust_list', 'prlimit64',
      'pidfd_open', 'io_setup', 'chmod', 'fchmodat', 'sendto', 'connect', 'setuid', 'capget', 'chroot', 'membarrier',
    ]) {
      assert.equal(decide(base, name), 'allow', name);
    }
  });

  it('lets clone make threads and processes but not namespaces without CAP_SYS_ADMIN', () => {
    const CLONE_THREAD_FLAGS = 0x3d0f00;
    const SIGCHLD = 17;
    assert.equal(decide(base, 'clone', [CLONE_THREAD_FLAGS]), 'allow');
    assert.equal(decide(base, 'clone', [SIGCHLD]), 'allow');
    assert.equal(decide(base, 'clone', [0x10000000 | SIGCHLD]), EPERM, 'CLONE_NEWUSER');
    assert.equal(decide(base, 'clone', [0x20000000]), EPERM, 'CLONE_NEWPID');
    const rule = base.syscalls!.find((r) => r.names.includes('clone') && r.args);
    assert.deepEqual(rule?.args, [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }]);
    assert.equal(decide(withCap('CAP_SYS_ADMIN'), 'clone', [0x10000000]), 'allow');
  });

  it('answers clone3 with ENOSYS without CAP_SYS_ADMIN, as docker does, so glibc falls back to clone', () => {
    assert.equal(decide(base, 'clone3'), ENOSYS);
    assert.equal(decide(withCap('CAP_SYS_ADMIN'), 'clone3'), 'allow');
  });

  it('unlocks mount, unshare, setns and friends only with CAP_SYS_ADMIN', () => {
    for (const name of ['mount', 'umount2', 'unshare', 'setns', 'sethostname', 'setdomainname', 'bpf', 'fsopen', 'open_tree', 'quotactl']) {
      assert.equal(decide(base, name), EPERM, name);
      assert.equal(decide(withCap('CAP_SYS_ADMIN'), name), 'allow', name);
      assert.equal(decide(defaultSeccompProfile([...DEFAULT_CAPABILITIES, 'SYS_ADMIN'], x64), name), 'allow', `${name} (name without CAP_)`);
    }
  });

  it('ties the other privileged syscalls to their capabilities', () => {
    const cases: Array<[string, string[]]> = [
      ['CAP_SYS_BOOT', ['reboot']],
      ['CAP_SYS_MODULE', ['init_module', 'finit_module', 'delete_module']],
      ['CAP_SYS_TIME', ['clock_settime', 'settimeofday', 'stime']],
      ['CAP_SYS_PTRACE', ['kcmp', 'pidfd_getfd', 'process_madvise']],
      ['CAP_SYS_RAWIO', ['iopl', 'ioperm']],
      ['CAP_SYS_PACCT', ['acct']],
      ['CAP_SYS_NICE', ['mbind', 'set_mempolicy']],
      ['CAP_SYSLOG', ['syslog']],
      ['CAP_DAC_READ_SEARCH', ['open_by_handle_at']],
      ['CAP_SYS_TTY_CONFIG', ['vhangup']],
      ['CAP_BPF', ['bpf']],
      ['CAP_PERFMON', ['perf_event_open']],
    ];
    for (const [cap, names] of cases) {
      for (const name of names) {
        assert.equal(decide(base, name), EPERM, `${name} without ${cap}`);
        assert.equal(decide(withCap(cap), name), 'allow', `${name} with ${cap}`);
      }
    }
    assert.equal(decide(defaultSeccompProfile([], x64), 'chroot'), EPERM, 'chroot without CAP_SYS_CHROOT');
  });

  it('allows ptrace on kernels from 4.8 on, and before that only with CAP_SYS_PTRACE', () => {
    assert.equal(decide(base, 'ptrace'), 'allow');
    const old = defaultSeccompProfile(DEFAULT_CAPABILITIES, { arch: 'x64', kernel: '4.4.0' });
    assert.equal(decide(old, 'ptrace'), EPERM);
    assert.equal(decide(defaultSeccompProfile([...DEFAULT_CAPABILITIES, 'CAP_SYS_PTRACE'], { arch: 'x64', kernel: '4.4.0' }), 'ptrace'), 'allow');
  });

  it('denies io_uring, keyrings, kexec and the like', () => {
    for (const name of ['io_uring_setup', 'io_uring_enter', 'io_uring_register', 'add_key', 'keyctl', 'request_key', 'kexec_load', 'userfaultfd', 'pivot_root', 'swapon', 'lsm_set_self_attr']) {
      assert.equal(decide(base, name), EPERM, name);
    }
  });

  it('restricts personality to the harmless values', () => {
    for (const p of [0, 8, 0x20000, 0x20008, 0xffffffff]) assert.equal(decide(base, 'personality', [p]), 'allow', `personality(${p})`);
    assert.equal(decide(base, 'personality', [0x0040000]), EPERM, 'ADDR_NO_RANDOMIZE');
  });

  it('allows sockets of every family but AF_ALG and AF_VSOCK', () => {
    for (const family of [1, 2, 10, 16, 17, 39, 44]) assert.equal(decide(base, 'socket', [family]), 'allow', `family ${family}`);
    assert.equal(decide(base, 'socket', [38]), EPERM, 'AF_ALG');
    assert.equal(decide(base, 'socket', [40]), EPERM, 'AF_VSOCK');
  });

  it('follows the architecture', () => {
    const arm = defaultSeccompProfile(DEFAULT_CAPABILITIES, { arch: 'arm64', kernel: '6.1' });
    assert.equal(decide(arm, 'arch_prctl'), EPERM);
    assert.equal(decide(arm, 'set_tls'), 'allow');
    const s390 = defaultSeccompProfile(DEFAULT_CAPABILITIES, { arch: 's390x', kernel: '6.1' });
    const clone = s390.syscalls!.filter((r) => r.names.includes('clone'));
    assert.equal(clone.length, 1);
    assert.equal(clone[0]!.args![0]!.index, 1);
  });
});
