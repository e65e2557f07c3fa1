import type { ChildProcess } from 'node:child_process';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log.js';
import { Multiplexer, MuxConn, PeerClosedError } from './mux.js';
import { ALL_EVENTS_MASK, isSubscribed, STATE_CHANGE_FALLBACK, type SubscribableEvent } from './nri-events.js';
import type { ConfigureRequest, ConfigureResponse__Output, RegisterPluginRequest__Output, UpdateContainersRequest__Output, UpdateContainersResponse } from './nri-types.js';
import { decodeMessage, encodeMessage, NRI_PACKAGE } from './nri-wire.js';
import { StatusCode, TtrpcClient, TtrpcClosedError, TtrpcStatusError, TtrpcTimeoutError } from './ttrpc-client.js';
import { type TtrpcHandler, TtrpcServer } from './ttrpc-server.js';

/** The NRI version whose protocol cri-ts speaks, as told to plugins. */
export const NRI_VERSION = 'v0.12.3';
const PLUGIN_SERVICE = `${NRI_PACKAGE}.Plugin`;
const RUNTIME_SERVICE = `${NRI_PACKAGE}.Runtime`;

/** The plugin's answer was an error status: the step it was asked about fails (where containerd fails it). */
export class PluginError extends Error {
  override name = 'PluginError';
}

/** The plugin is gone (crashed, hung past its timeout, or broke the protocol) and was dropped; the step goes on without it. */
export class PluginGoneError extends Error {
  override name = 'PluginGoneError';
}

export interface NriPluginOptions {
  runtimeName: string;
  runtimeVersion: string;
  registrationTimeoutMs: number;
  requestTimeoutMs: number;
  log: Logger;
  /** A plugin cri-ts started from plugin_path: its name, index and configuration are known beforehand. */
  launched?: { idx: string; base: string; config: string; process: ChildProcess };
  /** The plugin's own UpdateContainers requests (unsolicited updates and evictions). */
  onUpdateContainers(plugin: NriPlugin, request: UpdateContainersRequest__Output): Promise<UpdateContainersResponse>;
}

const PLUGIN_NAME = /^[A-Za-z0-9_.+-]+$/;
const PLUGIN_INDEX = /^[0-9]{2}$/;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TtrpcTimeoutError(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * One connected NRI plugin: its multiplexed socket with the two ttrpc
 * connections (cri-ts calls the plugin on one, the plugin calls cri-ts on
 * the other), its registration, configuration and event subscription.
 * Whatever goes wrong with the connection drops the plugin, once.
 */
export class NriPlugin {
  idx = '';
  base = '';
  events = 0;
  private readonly mux: Multiplexer;
  private readonly client: TtrpcClient;
  private readonly registered: Promise<void>;
  private readonly fallbackToStateChange = new Set<string>();
  private dropped = false;
  private readonly log: Logger;

  private constructor(
    socket: Duplex,
    private readonly options: NriPluginOptions,
  ) {
    this.log = options.log;
    this.mux = new Multiplexer(socket);
    const onProtocolError = (err: Error): void => this.drop(`it broke the protocol: ${err.message}`);
    this.client = new TtrpcClient(this.mux.open(MuxConn.pluginService), onProtocolError);
    let registeredResolve!: () => void;
    let registeredReject!: (err: Error) => void;
    this.registered = new Promise((resolve, reject) => {
      registeredResolve = resolve;
      registeredReject = reject;
    });
    this.registered.catch(() => undefined);
    const handlers = new Map<string, TtrpcHandler>([
      [
        `${RUNTIME_SERVICE}/RegisterPlugin`,
        async (payload) => {
          const request = decodeMessage<RegisterPluginRequest__Output>('RegisterPluginRequest', payload);
          const problem = this.register(request);
          if (problem) {
            registeredReject(new Error(problem));
            throw new TtrpcStatusError(StatusCode.internal, problem);
          }
          registeredResolve();
          return encodeMessage('Empty', {});
        },
      ],
      [
        `${RUNTIME_SERVICE}/UpdateContainers`,
        async (payload) => encodeMessage('UpdateContainersResponse', await options.onUpdateContainers(this, decodeMessage('UpdateContainersRequest', payload))),
      ],
    ]);
    new TtrpcServer(this.mux.open(MuxConn.runtimeService), handlers, onProtocolError);
    void this.mux.closed.then((reason) => {
      this.client.close(reason);
      registeredReject(reason);
      this.drop(reason.message, reason instanceof PeerClosedError);
    });
    if (options.launched) {
      this.idx = options.launched.idx;
      this.base = options.launched.base;
      options.launched.process.once('exit', (code, signal) => this.drop(`its process exited (${signal ?? `code ${code}`})`));
    }
  }

  /** Takes a plugin through registration and configuration; throws (having closed it) when it does not get there. */
  static async start(socket: Duplex, options: NriPluginOptions): Promise<NriPlugin> {
    const plugin = new NriPlugin(socket, options);
    try {
      await withTimeout(plugin.registered, options.registrationTimeoutMs, 'registration');
      await plugin.configure();
      return plugin;
    } catch (err) {
      plugin.drop(`it did not register and configure: ${(err as Error).message}`);
      throw err;
    }
  }

  /** IDX-NAME, as NRI names plugins. */
  get name(): string {
    return `${this.idx || '??'}-${this.base || 'plugin'}`;
  }

  get isDropped(): boolean {
    return this.dropped;
  }

  /** Settles with the reason once the plugin is dropped. */
  get closed(): Promise<Error> {
    return this.mux.closed;
  }

  subscribes(event: SubscribableEvent): boolean {
    return isSubscribed(this.events, event);
  }

  /**
   * Calls a Plugin service method. A status answer throws PluginError; a
   * timeout, a closed connection or an answer that does not decode drops the
   * plugin and throws PluginGoneError.
   */
  async call<T>(method: string, requestType: string, request: object, responseType: string, timeoutMs = this.options.requestTimeoutMs): Promise<T> {
    const event = STATE_CHANGE_FALLBACK[method];
    if (event && this.fallbackToStateChange.has(method)) return this.stateChange<T>(event, request, responseType, timeoutMs);
    let answer: Buffer;
    try {
      answer = await this.client.call(PLUGIN_SERVICE, method, encodeMessage(requestType, request), timeoutMs);
    } catch (err) {
      if (err instanceof TtrpcStatusError) {
        if (event && err.code === StatusCode.unimplemented) {
          this.log.warn({ plugin: this.name, method }, 'NRI plugin has no dedicated call for this event; sending it as StateChange (deprecated)');
          this.fallbackToStateChange.add(method);
          return this.stateChange<T>(event, request, responseType, timeoutMs);
        }
        throw new PluginError(`NRI plugin ${this.name} failed ${method}: ${err.message}`);
      }
      throw this.gone(`${method} failed: ${(err as Error).message}`, err);
    }
    try {
      return decodeMessage<T>(responseType, answer);
    } catch (err) {
      throw this.gone(`its ${method} answer does not decode as ${responseType}: ${(err as Error).message}`, err);
    }
  }

  /** Drops the plugin: closes its connection and ends a process cri-ts started. Logged once, with the reason. */
  drop(reason: string, byPlugin = false): void {
    if (this.dropped) return;
    this.dropped = true;
    if (byPlugin) this.log.info({ plugin: this.name }, 'NRI plugin disconnected');
    else this.log.warn({ plugin: this.name, reason }, 'NRI plugin dropped');
    this.mux.close(new Error(`plugin dropped: ${reason}`));
    this.client.close(new TtrpcClosedError(reason));
    const child = this.options.launched?.process;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  private gone(reason: string, cause: unknown): PluginGoneError {
    this.drop(reason);
    return new PluginGoneError(`NRI plugin ${this.name} was dropped: ${reason}`, { cause });
  }

  private async stateChange<T>(event: SubscribableEvent, request: object, responseType: string, timeoutMs: number): Promise<T> {
    const { pod, container } = request as { pod?: object; container?: object };
    await this.call('StateChange', 'StateChangeEvent', { event, pod, container }, 'Empty', timeoutMs);
    return decodeMessage<T>(responseType, Buffer.alloc(0));
  }

  /** A problem with the registration, or undefined when it is accepted. */
  private register(request: RegisterPluginRequest__Output): string | undefined {
    if (!this.options.launched) {
      if (!PLUGIN_NAME.test(request.pluginName)) return `invalid plugin name "${request.pluginName}": use letters, digits and _.+-`;
      if (!PLUGIN_INDEX.test(request.pluginIdx)) return `invalid plugin index "${request.pluginIdx}": two digits expected`;
      this.idx = request.pluginIdx;
      this.base = request.pluginName;
    }
    this.log.info({ plugin: this.name, nriVersion: request.NRIVersion || 'unknown' }, 'NRI plugin registered');
    return undefined;
  }

  private async configure(): Promise<void> {
    const { options } = this;
    const request: ConfigureRequest = {
      config: options.launched?.config ?? '',
      runtimeName: options.runtimeName,
      runtimeVersion: options.runtimeVersion,
      registrationTimeout: options.registrationTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      NRIVersion: NRI_VERSION,
    };
    const response = await this.call<ConfigureResponse__Output>('Configure', 'ConfigureRequest', request, 'ConfigureResponse');
    const events = response.events === 0 ? ALL_EVENTS_MASK : response.events;
    if ((events & ~ALL_EVENTS_MASK) !== 0) throw new Error(`plugin subscribed to unknown events (mask 0x${events.toString(16)})`);
    this.events = events;
  }
}
