import type { Duplex, Readable, Writable } from 'node:stream';

/** What an Exec, Attach or PortForward RPC hands the streaming server, kept under a single-use token. */
export type StreamingRequest =
  | { kind: 'exec'; containerId: string; cmd: string[]; tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }
  | { kind: 'attach'; containerId: string; tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }
  | { kind: 'portforward'; podSandboxId: string; ports: number[] };

export interface TerminalSize {
  width: number;
  height: number;
}

/**
 * The client's streams for one exec or attach, whatever the wire protocol
 * (SPDY or WebSocket, remotecommand v1 to v5). Absent streams were not asked for.
 */
export interface RemoteCommandStreams {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  /** Terminal size changes (tty only), in the order the client sent them. */
  resize?: AsyncIterable<TerminalSize>;
  /** Resolves when the client goes away (disconnect, or the whole session closed). */
  clientGone: Promise<void>;
}

/** How the command ended, sent to the client on the error stream as a Kubernetes Status. */
export type RemoteCommandResult = { exitCode: number } | { error: string };

/** The runtime side of exec and attach: runs until the process ends (exec) or the client leaves (attach). */
export interface RemoteCommandRunner {
  exec(request: Extract<StreamingRequest, { kind: 'exec' }>, streams: RemoteCommandStreams): Promise<RemoteCommandResult>;
  attach(request: Extract<StreamingRequest, { kind: 'attach' }>, streams: RemoteCommandStreams): Promise<RemoteCommandResult>;
}

/** One forwarded connection the client opened to `port`. */
export interface PortForwardConnection {
  port: number;
  /** Bytes both ways. */
  data: Duplex;
  /** Where a failure for this connection is reported (the port's error stream). */
  reportError(message: string): void;
}

/** The runtime side of port-forward: connect `connection.data` to the port inside the pod's network namespace. */
export interface PortForwarder {
  forward(podSandboxId: string, connection: PortForwardConnection): Promise<void>;
}
