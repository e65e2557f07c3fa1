import type { MetricFamily } from '../../stats/metric-families.js';
import type { MetricSample, PodMetricSet } from '../../stats/pod-metrics.js';
import { tag, varintSize, WireType, writeVarint } from '../protobuf-wire.js';

/*
 * ListPodSandboxMetricsResponse in protobuf wire form, written directly: at a
 * hundred pods the reply holds about ten thousand Metric messages whose label
 * values repeat (every series of a container has the same six base values),
 * and the generic encoder spends several hundred ms re-encoding them. Here
 * each family name, base label block and timestamp is encoded once per reply
 * and copied. Field numbers are those of api/cri/v1/api.proto:
 *   ListPodSandboxMetricsResponse { repeated PodSandboxMetrics pod_metrics = 1; }
 *   PodSandboxMetrics { string pod_sandbox_id = 1; repeated Metric metrics = 2; repeated ContainerMetrics container_metrics = 3; }
 *   ContainerMetrics { string container_id = 1; repeated Metric metrics = 2; }
 *   Metric { string name = 1; int64 timestamp = 2; MetricType metric_type = 3; repeated string label_values = 4; UInt64Value value = 5; }
 *   UInt64Value { uint64 value = 1; }   enum MetricType { COUNTER = 0; GAUGE = 1; }
 */

const LEN = WireType.lengthDelimited;
const VARINT = WireType.varint;

/** A field's bytes: tag, then the value's varint or length and bytes. */
function field(number: number, value: Buffer | bigint | number): Buffer {
  if (Buffer.isBuffer(value)) {
    const out = Buffer.allocUnsafe(varintSize(tag(number, LEN)) + varintSize(value.length) + value.length);
    let at = writeVarint(out, 0, tag(number, LEN));
    at = writeVarint(out, at, value.length);
    value.copy(out, at);
    return out;
  }
  const out = Buffer.allocUnsafe(varintSize(tag(number, VARINT)) + varintSize(value));
  writeVarint(out, writeVarint(out, 0, tag(number, VARINT)), value);
  return out;
}

const stringField = (number: number, text: string): Buffer => field(number, Buffer.from(text, 'utf8'));

const NO_BYTES = Buffer.alloc(0);
const GAUGE = field(3, 1);

/** Encodings of the pieces one reply repeats, made on first use. */
class PieceCache {
  private readonly names = new Map<MetricFamily, Buffer>();
  private readonly baseLabels = new Map<readonly string[], Buffer>();
  private readonly labels = new Map<string, Buffer>();
  private readonly timestamps = new Map<bigint, Buffer>();

  name(family: MetricFamily): Buffer {
    let bytes = this.names.get(family);
    if (!bytes) {
      bytes = stringField(1, family.name);
      this.names.set(family, bytes);
    }
    return bytes;
  }

  /** metric_type: COUNTER, the zero value, is left out as proto3 does. */
  type(family: MetricFamily): Buffer {
    return family.type === 'gauge' ? GAUGE : NO_BYTES;
  }

  base(values: readonly string[]): Buffer {
    let bytes = this.baseLabels.get(values);
    if (!bytes) {
      bytes = Buffer.concat(values.map((v) => this.label(v)));
      this.baseLabels.set(values, bytes);
    }
    return bytes;
  }

  label(value: string): Buffer {
    let bytes = this.labels.get(value);
    if (!bytes) {
      bytes = stringField(4, value);
      this.labels.set(value, bytes);
    }
    return bytes;
  }

  timestamp(ns: bigint): Buffer {
    let bytes = this.timestamps.get(ns);
    if (!bytes) {
      bytes = ns === 0n ? NO_BYTES : field(2, ns);
      this.timestamps.set(ns, bytes);
    }
    return bytes;
  }
}

const lengthDelimitedSize = (size: number): number => 1 + varintSize(size) + size;

/** UInt64Value's bytes after its header: left empty for 0 (proto3's default), yet always sent so readers see 0 rather than no value. */
const valueSize = (value: bigint): number => (value === 0n ? 0 : 1 + varintSize(value));

/** A Metric's size without its own header. */
function metricSize(sample: MetricSample, cache: PieceCache): number {
  const inner = valueSize(sample.value);
  let size = cache.name(sample.family).length + cache.timestamp(sample.timestampNs).length + cache.type(sample.family).length;
  size += cache.base(sample.base).length + 1 + varintSize(inner) + inner;
  for (const label of sample.extra) size += cache.label(label).length;
  return size;
}

class Writer {
  at = 0;
  constructor(readonly buffer: Buffer) {}

  /** A length-delimited field's tag and length; every field number here fits the tag in one byte. */
  header(fieldNumber: number, size: number): void {
    this.buffer[this.at++] = tag(fieldNumber, LEN);
    this.at = writeVarint(this.buffer, this.at, size);
  }

  bytes(bytes: Buffer): void {
    bytes.copy(this.buffer, this.at);
    this.at += bytes.length;
  }

  metric(fieldNumber: number, sample: MetricSample, size: number, cache: PieceCache): void {
    this.header(fieldNumber, size);
    // Fields in number order, as the generic encoder writes them.
    this.bytes(cache.name(sample.family));
    this.bytes(cache.timestamp(sample.timestampNs));
    this.bytes(cache.type(sample.family));
    this.bytes(cache.base(sample.base));
    for (const label of sample.extra) this.bytes(cache.label(label));
    this.header(5, valueSize(sample.value));
    if (sample.value !== 0n) {
      this.buffer[this.at++] = tag(1, VARINT);
      this.at = writeVarint(this.buffer, this.at, sample.value);
    }
  }
}

/**
 * ListPodSandboxMetricsResponse for the pods' metric sets, as protobuf bytes.
 * Sizes are measured first (nested messages are length-prefixed), then every
 * piece is copied into one buffer; samples are visited in the same order both times.
 */
export function encodeListPodSandboxMetricsResponse(pods: readonly PodMetricSet[]): Buffer {
  const cache = new PieceCache();
  const sizes: number[] = [];
  const podSizes = pods.map((pod) => {
    let podSize = stringFieldSize(pod.podId);
    for (const m of pod.metrics) podSize += lengthDelimitedSize(push(sizes, metricSize(m, cache)));
    for (const c of pod.containers) {
      let containerSize = stringFieldSize(c.containerId);
      for (const m of c.metrics) containerSize += lengthDelimitedSize(push(sizes, metricSize(m, cache)));
      podSize += lengthDelimitedSize(push(sizes, containerSize));
    }
    return podSize;
  });
  const total = podSizes.reduce((sum, size) => sum + lengthDelimitedSize(size), 0);
  const writer = new Writer(Buffer.allocUnsafe(total));
  let next = 0;
  pods.forEach((pod, i) => {
    writer.header(1, podSizes[i]!);
    writer.bytes(stringField(1, pod.podId));
    for (const m of pod.metrics) writer.metric(2, m, sizes[next++]!, cache);
    for (const c of pod.containers) {
      const metricSizes = c.metrics.map(() => sizes[next++]!);
      writer.header(3, sizes[next++]!);
      writer.bytes(stringField(1, c.containerId));
      c.metrics.forEach((m, j) => writer.metric(2, m, metricSizes[j]!, cache));
    }
  });
  if (writer.at !== total) throw new Error(`ListPodSandboxMetrics encoding wrote ${writer.at} of ${total} bytes`);
  return writer.buffer;
}

function push(sizes: number[], size: number): number {
  sizes.push(size);
  return size;
}

const stringFieldSize = (text: string): number => lengthDelimitedSize(Buffer.byteLength(text, 'utf8'));
