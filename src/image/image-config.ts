/** The parts of an OCI image config cri-ts uses (the rest stays in `raw`). */
export interface ImageConfig {
  user: string;
  env: string[];
  entrypoint: string[];
  cmd: string[];
  workingDir: string;
  stopSignal: string;
  volumes: string[];
  labels: Record<string, string>;
  diffIds: string[];
  raw: Record<string, unknown>;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

export function parseImageConfig(body: Buffer, what: string): ImageConfig {
  let raw: Record<string, unknown>;
  try {
    raw = record(JSON.parse(body.toString('utf8')));
  } catch {
    throw new Error(`${what} is not valid JSON`);
  }
  const config = record(raw.config);
  const labels = Object.fromEntries(Object.entries(record(config.Labels)).filter((e): e is [string, string] => typeof e[1] === 'string'));
  return {
    user: typeof config.User === 'string' ? config.User : '',
    env: strings(config.Env),
    entrypoint: strings(config.Entrypoint),
    cmd: strings(config.Cmd),
    workingDir: typeof config.WorkingDir === 'string' ? config.WorkingDir : '',
    stopSignal: typeof config.StopSignal === 'string' ? config.StopSignal : '',
    volumes: Object.keys(record(config.Volumes)),
    labels,
    diffIds: strings(record(raw.rootfs).diff_ids),
    raw,
  };
}

/**
 * The image's user as CRI reports it: a numeric uid ("1000" or "1000:50")
 * becomes uid, a name ("nobody", "app:staff") becomes username; unset, neither.
 */
export function imageUser(user: string): { uid?: number; username?: string } {
  if (user === '') return {};
  const name = user.split(':')[0]!;
  if (/^\d+$/.test(name)) return { uid: Number(name) };
  return { username: name };
}
