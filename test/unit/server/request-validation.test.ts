import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CriError } from '../../../src/errors.js';
import type { ContainerConfig__Output } from '../../../src/generated/cri/runtime/v1/ContainerConfig.js';
import type { PodSandboxConfig__Output } from '../../../src/generated/cri/runtime/v1/PodSandboxConfig.js';
import { decodeOrMark, UndecodableRequest } from '../../../src/server/undecodable-request.js';
import { checkContainerConfig } from '../../../src/server/validation/container-config.js';
import { LIMITS } from '../../../src/server/validation/limits.js';
import { checkPodSandboxConfig } from '../../../src/server/validation/pod-config.js';
import { checkRequestStrings } from '../../../src/server/validation/request-strings.js';

const pod = (over: Partial<PodSandboxConfig__Output> = {}): PodSandboxConfig__Output => ({
  metadata: { name: 'web', namespace: 'default', uid: 'u1', attempt: 0 },
  hostname: 'web',
  logDirectory: '/var/log/pods/default_web_u1',
  dnsConfig: null,
  portMappings: [],
  labels: {},
  annotations: {},
  linux: null,
  windows: null,
  ...over,
});

const container = (over: Partial<ContainerConfig__Output> = {}): ContainerConfig__Output =>
  ({
    metadata: { name: 'app', attempt: 0 },
    image: { image: 'busybox', annotations: {}, userSpecifiedImage: '', runtimeHandler: '' },
    command: [],
    args: [],
    workingDir: '',
    envs: [],
    mounts: [],
    devices: [],
    labels: {},
    annotations: {},
    logPath: 'app/0.log',
    stdin: false,
    stdinOnce: false,
    tty: false,
    linux: null,
    windows: null,
    CDIDevices: [],
    stopSignal: 'RUNTIME_DEFAULT',
    ...over,
  }) as ContainerConfig__Output;

function refused(fn: () => void, field: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof CriError && err.kind === 'InvalidArgument', `InvalidArgument, got ${String(err)}`);
    assert.match(err.message, field);
    return true;
  });
}

describe('request limits', () => {
  it('takes a pod config kubelet would send', () => {
    checkPodSandboxConfig(pod({ annotations: { big: 'x'.repeat(LIMITS.annotationsBytes - 3) } }));
  });

  it('takes names longer than DNS names (critest uses them), refuses names past the bound of cri-ts and hostnames past the kernel limit, naming the field and the limit', () => {
    checkPodSandboxConfig(pod({ metadata: { name: 'a'.repeat(254), namespace: 'n'.repeat(64), uid: 'u', attempt: 0 } }));
    refused(() => checkPodSandboxConfig(pod({ metadata: { name: 'a'.repeat(1025), namespace: 'n', uid: 'u', attempt: 0 } })), /config\.metadata\.name is 1025 characters; at most 1024/);
    refused(() => checkPodSandboxConfig(pod({ metadata: { name: 'a', namespace: 'n'.repeat(1025), uid: 'u', attempt: 0 } })), /config\.metadata\.namespace .* at most 1024/);
    refused(() => checkPodSandboxConfig(pod({ hostname: 'h'.repeat(65) })), /config\.hostname/);
  });

  it('refuses annotations over 256 KiB in total, keys counted', () => {
    refused(() => checkPodSandboxConfig(pod({ annotations: { big: 'x'.repeat(LIMITS.annotationsBytes - 2) } })), /config\.annotations total 262145 bytes .* at most 262144 .*TotalAnnotationSizeLimitB/);
  });

  it('refuses too many or out-of-range port mappings and unknown protocols', () => {
    const mapping = { protocol: 'TCP' as const, containerPort: 80, hostPort: 0, hostIp: '' };
    refused(() => checkPodSandboxConfig(pod({ portMappings: Array(LIMITS.portMappings + 1).fill(mapping) })), /config\.port_mappings has 1025 entries/);
    refused(() => checkPodSandboxConfig(pod({ portMappings: [{ ...mapping, containerPort: -1 }] })), /port_mappings\[0\]\.container_port is -1/);
    refused(() => checkPodSandboxConfig(pod({ portMappings: [{ ...mapping, hostPort: 70000 }] })), /host_port is 70000/);
    refused(() => checkPodSandboxConfig(pod({ portMappings: [{ ...mapping, protocol: 7 as never }] })), /protocol 7/);
  });

  it('refuses path traversal in the log directory and a relative one', () => {
    refused(() => checkPodSandboxConfig(pod({ logDirectory: '/var/log/pods/../../../etc' })), /config\.log_directory ".*" must not contain a "\.\." component/);
    refused(() => checkPodSandboxConfig(pod({ logDirectory: 'relative' })), /config\.log_directory ".*" must be an absolute path/);
  });

  it('refuses container log paths that leave the pod log directory, and traversal in mounts and devices', () => {
    refused(() => checkContainerConfig(container({ logPath: '../../etc/passwd' })), /config\.log_path ".*" must not contain/);
    refused(() => checkContainerConfig(container({ logPath: '/etc/passwd' })), /config\.log_path must be relative/);
    const mount = { containerPath: '/data', hostPath: '/srv/../etc', readonly: false, selinuxRelabel: false, propagation: 'PROPAGATION_PRIVATE' as const, uidMappings: [], gidMappings: [], recursiveReadOnly: false, image: null, imageSubPath: '', mountOptions: [] } as ContainerConfig__Output['mounts'][number];
    refused(() => checkContainerConfig(container({ mounts: [mount] })), /config\.mounts\[0\]\.host_path ".*" must not contain/);
    refused(() => checkContainerConfig(container({ devices: [{ hostPath: '/dev/../etc/shadow', containerPath: '/dev/x', permissions: 'r' }] })), /devices\[0\]\.host_path/);
  });

  it('refuses an argument or environment entry the kernel would not exec', () => {
    refused(() => checkContainerConfig(container({ args: ['x'.repeat(LIMITS.execStringBytes + 1)] })), /config\.args\[0\] is 131073 bytes/);
    refused(() => checkContainerConfig(container({ envs: [{ key: 'K', value: Buffer.alloc(LIMITS.execStringBytes) }] })), /config\.envs\[0\]/);
  });
});

describe('request strings', () => {
  it('names the first field holding a NUL byte or bytes that were not UTF-8, map keys included', () => {
    refused(() => checkRequestStrings({ podSandboxId: 'a\0b' }), /^pod_sandbox_id holds a NUL byte$/);
    refused(() => checkRequestStrings({ config: { metadata: { name: 'x\uFFFD' } } }), /^config\.metadata\.name is not valid UTF-8/);
    refused(() => checkRequestStrings({ config: { annotations: { 'k\0': 'v' } } }), /^config\.annotations\["k\\u0000"\]: the key holds a NUL byte/);
    refused(() => checkRequestStrings({ config: { mounts: [{ hostPath: '/a' }, { hostPath: '/b\0' }] } }), /^config\.mounts\[1\]\.host_path/);
    checkRequestStrings({ config: { envs: [{ key: 'K', value: Buffer.from([0, 0xff]) }] } });
  });
});

describe('undecodable requests', () => {
  it('become an UndecodableRequest naming the type, never a throw', () => {
    const decode = decodeOrMark('runtime.v1.VersionRequest', () => {
      throw new RangeError('index out of range: 4 + 10 > 4');
    });
    const result = decode(Buffer.from([1, 2, 3, 4]));
    assert.ok(result instanceof UndecodableRequest);
    assert.equal(result.describe(), 'request is not a valid runtime.v1.VersionRequest (4 bytes): index out of range: 4 + 10 > 4');
  });
});

describe('timeouts and exec arguments', () => {
  it('waits a year at most, and refuses negative timeouts', async () => {
    const { timeoutSeconds } = await import('../../../src/server/validation/checks.js');
    assert.equal(timeoutSeconds('9223372036854775807', 'timeout'), 365 * 24 * 3600);
    assert.equal(timeoutSeconds('5', 'timeout'), 5);
    refused(() => timeoutSeconds('-1', 'timeout'), /^timeout must be zero or more seconds, got -1$/);
  });

  it('refuses exec arguments past what execve takes', async () => {
    const { checkExecArguments } = await import('../../../src/server/validation/checks.js');
    refused(() => checkExecArguments(Array(2000).fill('x'.repeat(4096)), 'cmd', LIMITS.argsEntries, LIMITS.execStringBytes, LIMITS.execArgsTotalBytes), /^cmd total 8194000 bytes; at most 1048576/);
    checkExecArguments(['sh', '-c', 'true'], 'cmd', LIMITS.argsEntries, LIMITS.execStringBytes, LIMITS.execArgsTotalBytes);
  });

  it("refuses ExecSync's and Exec's empty cmd, and one past what execve takes", async () => {
    const { checkExecCommand } = await import('../../../src/server/validation/checks.js');
    refused(() => checkExecCommand([]), /^cmd is empty; give the command to run$/);
    refused(() => checkExecCommand(Array(2000).fill('x'.repeat(4096))), /^cmd total 8194000 bytes/);
    checkExecCommand(['true']);
  });
});
