import type { ContainerdConfig } from '../config/config.js';
import { ContainerdClient } from '../containerd/client.js';
import { errorMessage } from '../errors.js';

export interface AnsweringContainerd {
  client: ContainerdClient;
  address: string;
  version: string;
  /** The containerd cri-ts manages (containerd.managed.address): running under cri-ts, or left by one. */
  managed: boolean;
}

export interface ContainerdProbeResult {
  answering?: AnsweringContainerd;
  /** Why each address tried did not answer. */
  silent: Array<{ address: string; reason: string }>;
}

/**
 * Finds the containerd cri-ts would use: the configured address first, else the
 * managed one when it is enabled. Asked once and shared by the checks that need containerd.
 */
export class ContainerdProbe {
  private result: Promise<ContainerdProbeResult> | undefined;
  private readonly clients: ContainerdClient[] = [];

  constructor(
    private readonly config: ContainerdConfig,
    private readonly timeoutMs = 1500,
  ) {}

  find(): Promise<ContainerdProbeResult> {
    this.result ??= this.probe();
    return this.result;
  }

  private async probe(): Promise<ContainerdProbeResult> {
    const addresses = [this.config.address];
    if (this.config.managed.enabled && this.config.managed.address !== this.config.address) addresses.push(this.config.managed.address);
    // Both at once: a silent address costs its whole timeout.
    const answers = await Promise.all(
      addresses.map(async (address): Promise<{ address: string; client: ContainerdClient; version: string } | { address: string; reason: string }> => {
        const client = ContainerdClient.fromConfig(this.config, address);
        this.clients.push(client);
        try {
          return { address, client, version: (await client.version({ timeoutMs: this.timeoutMs })).version };
        } catch (err) {
          return { address, reason: errorMessage(err) };
        }
      }),
    );
    const result: ContainerdProbeResult = { silent: [] };
    for (const answer of answers) {
      if (!('client' in answer)) result.silent.push(answer);
      else result.answering ??= { client: answer.client, address: answer.address, version: answer.version, managed: answer.address !== this.config.address };
    }
    return result;
  }

  close(): void {
    for (const client of this.clients) client.close();
  }
}
