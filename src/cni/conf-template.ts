// Writing a CNI config from cni.conf_template when kubelet reports the node's
// pod CIDR through UpdateRuntimeConfig (containerd's conf_template feature).
//
// Only plain placeholders are supported, not Go templates; `{{ .X }}` with
// spaces works too:
//   {{.PodCIDR}}        the first CIDR, e.g.  10.88.0.0/16
//   {{.PodCIDRRanges}}  one host-local range set per CIDR, comma separated:
//                         [{"subnet": "10.88.0.0/16"}], [{"subnet": "fd00::/64"}]
//                       meant for  "ranges": [ {{.PodCIDRRanges}} ]
//   {{.Routes}}         a default route per address family of the CIDRs:
//                         {"dst": "0.0.0.0/0"}, {"dst": "::/0"}
//                       meant for  "routes": [ {{.Routes}} ]
// Any other {{...}} action (e.g. containerd's {{range ...}}) is refused, and
// the output must parse as a network config. The file is written atomically
// as <confDir>/10-cri-ts-template.conflist. Whether to write it at all (an
// existing config usually wins, as in containerd) is the caller's decision.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { CriError } from '../errors.js';
import { CniConfigError, parseNetworkConfig } from './network-config.js';

export const TEMPLATE_CONF_NAME = '10-cri-ts-template.conflist';

/** Splits "A, B" into CIDRs, checking each. */
export function parsePodCidrs(podCidr: string): string[] {
  const cidrs = podCidr
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  for (const cidr of cidrs) {
    const [address = '', prefix = '', ...rest] = cidr.split('/');
    const family = isIP(address);
    const bits = Number(prefix);
    if (rest.length > 0 || family === 0 || prefix === '' || !Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) {
      throw new CriError('InvalidArgument', `pod CIDR ${JSON.stringify(cidr)} is not a CIDR such as 10.88.0.0/16`);
    }
  }
  return cidrs;
}

/** The template text with the placeholders filled in; throws on unknown actions. */
export function fillConfTemplate(template: string, cidrs: string[], templatePath = 'template'): string {
  const first = cidrs[0];
  if (first === undefined) throw new CriError('InvalidArgument', 'no pod CIDR given to fill the CNI config template');
  const families = [...new Set(cidrs.map((c) => isIP(c.split('/')[0] ?? '')))];
  const values: Record<string, string> = {
    PodCIDR: first,
    PodCIDRRanges: cidrs.map((c) => `[{"subnet": "${c}"}]`).join(', '),
    Routes: families.map((f) => `{"dst": "${f === 6 ? '::/0' : '0.0.0.0/0'}"}`).join(', '),
  };
  return template.replace(/\{\{-?\s*(.*?)\s*-?\}\}/g, (action: string, inner: string) => {
    const match = /^\.(\w+)$/.exec(inner);
    const value = match?.[1] !== undefined ? values[match[1]] : undefined;
    if (value === undefined) {
      throw new CriError(
        'FailedPrecondition',
        `CNI config template ${templatePath}: unsupported action ${action}; only {{.PodCIDR}}, {{.PodCIDRRanges}} and {{.Routes}} are supported`,
      );
    }
    return value;
  });
}

/**
 * Fills `templatePath` with `podCidr` (comma-separated CIDRs) and writes
 * <confDir>/10-cri-ts-template.conflist. Returns the path written, or
 * undefined when podCidr is empty (nothing to do, as in containerd).
 */
export async function writeConfFromTemplate(templatePath: string, confDir: string, podCidr: string): Promise<string | undefined> {
  const cidrs = parsePodCidrs(podCidr);
  if (cidrs.length === 0) return undefined;
  let template: string;
  try {
    template = await readFile(templatePath, 'utf8');
  } catch (err) {
    throw new CriError('FailedPrecondition', `cannot read CNI config template ${templatePath} (cni.conf_template): ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  const text = fillConfTemplate(template, cidrs, templatePath);
  const target = join(confDir, TEMPLATE_CONF_NAME);
  try {
    parseNetworkConfig(target, text);
  } catch (err) {
    if (err instanceof CniConfigError) {
      throw new CriError('FailedPrecondition', `CNI config template ${templatePath} does not give a valid network config: ${err.message}`);
    }
    throw err;
  }
  await mkdir(confDir, { recursive: true, mode: 0o755 });
  // the tmp name has no config extension, so a concurrent loadNetworkConfigs ignores it
  const tmp = join(confDir, `.${TEMPLATE_CONF_NAME}.tmp-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(tmp, text, { mode: 0o644 });
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return target;
}
