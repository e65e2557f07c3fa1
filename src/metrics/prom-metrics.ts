import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { grpcCodeName } from './grpc-code-names.js';
import { type GrpcMethodRecorder, type MetricsRecorder, type ObjectStateCounts, type Outcome, splitMethodPath } from './metrics.js';
import type { PhaseTiming } from './phase-timer.js';

/** Seconds: from half a millisecond (a containerd call) to a minute (a slow CNI plugin or task start). */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Seconds: a pull of a layer already present up to a large image over a slow link. */
const PULL_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

type GrpcLabel = 'grpc_service' | 'grpc_method';
type GrpcCodeLabel = GrpcLabel | 'grpc_code';

/**
 * Records the calls of one gRPC method: latency, and a count by status code.
 * Made once per method, so a call only adds to series it already holds.
 */
export class PromMethodRecorder implements GrpcMethodRecorder {
  private readonly labels: Record<GrpcLabel, string>;
  private readonly labelsByCode: Array<Record<GrpcCodeLabel, string>> = [];

  constructor(
    private readonly handled: Counter<GrpcCodeLabel>,
    private readonly handling: Histogram<GrpcLabel>,
    service: string,
    method: string,
  ) {
    this.labels = { grpc_service: service, grpc_method: method };
  }

  done(code: number, seconds: number): void {
    this.handling.observe(this.labels, seconds);
    this.handled.inc((this.labelsByCode[code] ??= { ...this.labels, grpc_code: grpcCodeName(code) }));
  }
}

/**
 * cri-ts's metric families, in one registry, on prom-client. Loaded only when
 * `[metrics] address` is set (metrics.ts's `metrics.enable()`); the metrics
 * server (server.ts) serves it.
 */
export class CriTsMetrics implements MetricsRecorder {
  readonly registry = new Registry();
  private readonly criHandled: Counter<GrpcCodeLabel>;
  private readonly criHandling: Histogram<GrpcLabel>;
  private readonly containerdHandled: Counter<GrpcCodeLabel>;
  private readonly containerdHandling: Histogram<GrpcLabel>;
  private readonly cniPlugin: Histogram<'plugin' | 'command' | 'result'>;
  private readonly imagePullSeconds: Histogram<'result'>;
  private readonly imagePullBytes: Counter<'result'>;
  private readonly commandSpawn: Histogram<never>;
  private readonly commandDuration: Histogram<'program'>;
  private readonly podStart: Histogram<'phase'>;
  private readonly containerCreate: Histogram<'phase'>;
  private readonly containerStart: Histogram<'phase'>;
  private served = false;

  constructor() {
    const registers = [this.registry];
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) => new Counter<L>({ name, help, labelNames, registers });
    const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[], buckets = LATENCY_BUCKETS) =>
      new Histogram<L>({ name, help, labelNames, buckets, registers });
    const grpcLabels = ['grpc_service', 'grpc_method'] as const;
    const grpcCodeLabels = [...grpcLabels, 'grpc_code'] as const;
    this.criHandled = counter('cri_ts_grpc_server_handled_total', 'CRI calls answered, by method and gRPC status code.', grpcCodeLabels);
    this.criHandling = histogram('cri_ts_grpc_server_handling_seconds', 'Time cri-ts took to answer a CRI call (a stream: until it ended).', grpcLabels);
    this.containerdHandled = counter('cri_ts_containerd_client_handled_total', 'Calls cri-ts made to containerd, by method and gRPC status code.', grpcCodeLabels);
    this.containerdHandling = histogram(
      'cri_ts_containerd_client_handling_seconds',
      'Time a call to containerd took, from cri-ts sending it to the final status (a stream: until it ended).',
      grpcLabels,
    );
    this.cniPlugin = histogram('cri_ts_cni_plugin_duration_seconds', 'Time one CNI plugin binary took, by plugin type, CNI command and result.', [
      'plugin',
      'command',
      'result',
    ]);
    this.imagePullSeconds = histogram('cri_ts_image_pull_duration_seconds', 'Time an image pull took, by result.', ['result'], PULL_BUCKETS);
    this.imagePullBytes = counter(
      'cri_ts_image_pull_bytes_total',
      "Bytes of the blobs image pulls wrote into containerd's content store (blobs already there are not counted), by the pull's result.",
      ['result'],
    );
    this.commandSpawn = histogram(
      'cri_ts_command_spawn_seconds',
      "Time starting a host program (mount, ip, a CNI plugin) blocked cri-ts's event loop: recorded only when cri-ts starts programs itself (without perl); its command helper's starts block nothing of cri-ts.",
      [],
    );
    this.commandDuration = histogram('cri_ts_command_duration_seconds', 'Time a host program took, from cri-ts asking for it to its result, by program name.', ['program']);
    this.podStart = histogram('cri_ts_pod_start_phase_seconds', 'Time each phase of a RunPodSandbox that succeeded took (total: the whole call).', ['phase']);
    this.containerCreate = histogram('cri_ts_container_create_phase_seconds', 'Time each phase of a CreateContainer that succeeded took (total: the whole call).', ['phase']);
    this.containerStart = histogram('cri_ts_container_start_phase_seconds', 'Time each phase of a StartContainer that succeeded took (total: the whole call).', ['phase']);
  }

  /** The recorder of one CRI method, made when the service is registered. */
  criMethod(service: string, method: string): GrpcMethodRecorder {
    return new PromMethodRecorder(this.criHandled, this.criHandling, service, method);
  }

  /** The recorder of one containerd method, by its gRPC path ("/containerd.services.tasks.v1.Tasks/Create"). */
  containerdMethod(path: string): GrpcMethodRecorder {
    const { service, method } = splitMethodPath(path);
    return new PromMethodRecorder(this.containerdHandled, this.containerdHandling, service, method);
  }

  cniPluginCall(plugin: string, command: string, result: Outcome, seconds: number): void {
    this.cniPlugin.observe({ plugin, command, result }, seconds);
  }

  imagePull(result: Outcome, seconds: number, bytes: number): void {
    this.imagePullSeconds.observe({ result }, seconds);
    this.imagePullBytes.inc({ result }, bytes);
  }

  /** A host program ran; `spawnSeconds` is absent when it could not be started. */
  commandRun(program: string, spawnSeconds: number | undefined, seconds: number): void {
    if (spawnSeconds !== undefined) this.commandSpawn.observe(spawnSeconds);
    this.commandDuration.observe({ program }, seconds);
  }

  podStarted(phases: readonly PhaseTiming[]): void {
    observePhases(this.podStart, phases);
  }

  containerCreated(phases: readonly PhaseTiming[]): void {
    observePhases(this.containerCreate, phases);
  }

  containerStarted(phases: readonly PhaseTiming[]): void {
    observePhases(this.containerStart, phases);
  }

  /**
   * Gauges of pods and containers by state, computed from `counts` at each
   * scrape, and the process's own metrics (CPU, memory, event loop, GC).
   * The metrics server adds them when it starts: until then nothing samples.
   */
  addServedFamilies(counts: () => ObjectStateCounts): void {
    if (this.served) return;
    this.served = true;
    collectDefaultMetrics({ register: this.registry });
    const byState = (name: string, help: string, pick: (c: ObjectStateCounts) => Record<string, number>): void => {
      new Gauge({
        name,
        help,
        labelNames: ['state'],
        registers: [this.registry],
        collect(this: Gauge<'state'>) {
          this.reset();
          for (const [state, count] of Object.entries(pick(counts()))) this.set({ state }, count);
        },
      });
    };
    byState('cri_ts_pod_sandboxes', 'Pod sandboxes cri-ts holds, by state.', (c) => c.pods);
    byState('cri_ts_containers', 'Containers cri-ts holds, by state.', (c) => c.containers);
  }
}

function observePhases(histogram: Histogram<'phase'>, phases: readonly PhaseTiming[]): void {
  for (const { phase, durationMs } of phases) histogram.observe({ phase }, durationMs / 1000);
}

