import { existsSync } from 'node:fs';

export const RUNC_VERSION = process.env.RUNC_VERSION ?? 'v1.4.0';
const cacheDir = process.env.CRI_TS_CACHE ?? '/var/cache/cri-ts';

/** The runtime handler the tests give runc built from its Go module (user namespaces need runc 1.2+). */
export const RUNC_USERNS_HANDLER = 'runc-userns';

/** runc built from its Go module by test/runc/build-runc.sh (Debian's runc 1.1.5 has no idmapped mounts). */
export function runcPath(): string {
  const path = process.env.RUNC ?? `${cacheDir}/runc/${RUNC_VERSION}/runc`;
  if (!existsSync(path)) throw new Error(`runc ${RUNC_VERSION} not found at ${path}; run test/runc/build-runc.sh (scripts/install-deps.sh --test does)`);
  return path;
}

/** cri-ts config tables: Debian's runc as `runc` (the default) and the built runc as RUNC_USERNS_HANDLER. */
export function runcHandlersToml(): string {
  return [
    '[containerd.runtimes.runc]',
    'runtime_type = "io.containerd.runc.v2"',
    `[containerd.runtimes.${RUNC_USERNS_HANDLER}]`,
    'runtime_type = "io.containerd.runc.v2"',
    `[containerd.runtimes.${RUNC_USERNS_HANDLER}.options]`,
    `BinaryName = "${runcPath()}"`,
  ].join('\n');
}
