import protobuf from 'protobufjs';

/** A small seeded PRNG (mulberry32): the same seed gives the same run. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
  bytes(n: number): Buffer {
    return Buffer.from(Array.from({ length: n }, () => this.int(256)));
  }
}

/** Four ASCII bytes that, once encoded, are swapped for bytes that are not UTF-8. */
export const INVALID_UTF8_MARKER = 'Q\u0001Q\u0001';
export const INVALID_UTF8_BYTES = Buffer.from([0xff, 0xfe, 0xc3, 0x28]);

const TRAVERSALS = ['../../../../etc/passwd', '/var/log/pods/../../../etc/shadow', '..', 'a/../../b', '/proc/self/root/../../etc', './..', '/..//..//etc'];

/** Hostile strings: empty, huge, NUL, not UTF-8, traversal, control characters, long names. */
export function hostileString(rng: Rng): string {
  switch (rng.int(11)) {
    case 0:
      return '';
    case 1:
      return 'a'.repeat(rng.pick([64, 254, 4097, 70_000, 300_000]));
    case 2:
      return `x\0y${rng.pick(['', '/etc/passwd'])}`;
    case 3:
      return `bad${INVALID_UTF8_MARKER}utf8`;
    case 4:
    case 5:
      return rng.pick(TRAVERSALS);
    case 6:
      return '\n\r\t\u001b[31m;`$(reboot)`|&';
    case 7:
      return '💥'.repeat(rng.pick([1, 100, 40_000]));
    case 8:
      return rng.pick(['-1', '9223372036854775808', 'NaN', '%00', '%2e%2e%2f']);
    case 9:
      return '/'.repeat(rng.pick([1, 5000]));
    default:
      return rng.pick(['localhost/../../../etc/passwd', 'runtime/default\0', '127.0.0.1:5000/../x', 'UPPER-Case_name.', ' ']);
  }
}

export function hostileNumber(rng: Rng, type: string): number | string {
  const signed = ['-1', '-2147483648', '2147483647', '0', '9223372036854775807', '-9223372036854775808', '4294967295', '65536', '70000'];
  const value = rng.pick(signed);
  if (type === 'int32' || type === 'sint32' || type === 'sfixed32') return Math.max(-2147483648, Math.min(2147483647, Number(value)));
  if (type === 'uint32' || type === 'fixed32') return Number(value) < 0 ? 4294967295 : Math.min(4294967295, Number(value));
  if (type === 'double' || type === 'float') return rng.pick([-1, 1e308, -0, Number.MAX_SAFE_INTEGER]);
  if (type.startsWith('u') || type === 'fixed64') return value.startsWith('-') ? '18446744073709551615' : value;
  return value;
}

export interface LeafField {
  /** camelCase path through the message, e.g. config.metadata.name */
  path: string[];
  field: protobuf.Field;
}

/** Every field reachable from `type`, down to `depth` messages deep (the CRI schema has no recursion, but a limit costs nothing). */
export function leafFields(type: protobuf.Type, depth = 7, prefix: string[] = []): LeafField[] {
  const out: LeafField[] = [];
  for (const field of type.fieldsArray) {
    field.resolve();
    const path = [...prefix, field.name];
    out.push({ path, field });
    if (field.resolvedType instanceof protobuf.Type && !field.map && depth > 0) out.push(...leafFields(field.resolvedType, depth - 1, field.repeated ? [...path, '0'] : path));
  }
  return out;
}

/** A hostile value for one field, fitted to its protobuf type (the encoder would refuse anything else). */
export function hostileValue(rng: Rng, leaf: LeafField): unknown {
  const { field } = leaf;
  const scalar = (): unknown => {
    if (field.resolvedType instanceof protobuf.Enum) return rng.pick([999, -5, 2147483647]);
    if (field.resolvedType instanceof protobuf.Type) return rng.pick([{}, null]);
    if (field.type === 'string') return hostileString(rng);
    if (field.type === 'bytes') return rng.pick([Buffer.alloc(0), Buffer.from([0, 0xff, 0]), Buffer.alloc(200_000, 0x41)]);
    if (field.type === 'bool') return rng.next() < 0.5;
    return hostileNumber(rng, field.type);
  };
  if (field.map) {
    const entries: Record<string, unknown> = {};
    switch (rng.int(4)) {
      case 0:
        for (let i = 0; i < rng.pick([300, 5000]); i++) entries[`k${i}`] = 'v'.repeat(100);
        break;
      case 1:
        entries[hostileString(rng) || 'k'] = 'v';
        break;
      case 2:
        entries.big = 'x'.repeat(rng.pick([262_144, 600_000]));
        break;
      default:
        entries[''] = hostileString(rng);
    }
    return entries;
  }
  if (field.repeated) {
    const count = rng.pick([0, 1, 3, 2000, 70_000]);
    if (count > 100) {
      const one = scalar() ?? {};
      return Array.from({ length: count }, () => one);
    }
    return Array.from({ length: count }, scalar);
  }
  return scalar();
}

/** Sets `value` at `path` in a plain request object, making the objects (and one-element arrays) on the way. */
export function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node: Record<string, unknown> = target;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i] as string;
    const nextIsIndex = path[i + 1] === '0';
    let child = node[key];
    if (nextIsIndex) {
      if (!Array.isArray(child) || child.length === 0) child = [{}];
      node[key] = child;
      node = child as unknown as Record<string, unknown>;
      continue;
    }
    if (typeof child !== 'object' || child === null) child = {};
    node[key] = child;
    node = child as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

/** Encodes a plain request object; the marker becomes bytes that are not UTF-8. */
export function encodeRequest(type: protobuf.Type, request: Record<string, unknown>): Buffer {
  const bytes = Buffer.from(type.encode(type.fromObject(request)).finish());
  const marker = Buffer.from(INVALID_UTF8_MARKER, 'latin1');
  for (let at = bytes.indexOf(marker); at !== -1; at = bytes.indexOf(marker, at + 4)) INVALID_UTF8_BYTES.copy(bytes, at);
  return bytes;
}

/** Start-group tags nested far deeper than any decoder should follow. */
export function deepGroups(levels: number): Buffer {
  const start = (15 << 3) | 3;
  return Buffer.alloc(levels, start);
}

/** A length-delimited unknown field nesting `levels` length-delimited fields. */
export function deepMessages(levels: number): Buffer {
  let inner: Buffer = Buffer.alloc(0);
  for (let i = 0; i < levels; i++) {
    const tag = Buffer.from([(15 << 3) | 2]);
    inner = Buffer.concat([tag, varint(inner.length), inner]);
  }
  return inner;
}

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}
