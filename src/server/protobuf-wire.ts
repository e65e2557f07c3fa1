/*
 * Protobuf wire primitives for the replies cri-ts writes in wire form itself
 * (ListPodSandboxMetrics, and the list replies built from cached entries).
 */

export const WireType = { varint: 0, lengthDelimited: 2 } as const;

export const tag = (field: number, wireType: number): number => (field << 3) | wireType;

// Values below 2^31 take the number path: most are, and bigint arithmetic allocates.
const SMALL = 0x80000000;

export function varintSize(value: bigint | number): number {
  if (value < SMALL) {
    const v = Number(value);
    return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
  }
  let v = BigInt(value);
  let size = 1;
  while (v >= 0x80n) {
    v >>= 7n;
    size++;
  }
  return size;
}

/** Writes `value` as a varint at `at`; returns where the next byte goes. */
export function writeVarint(buffer: Buffer, at: number, value: bigint | number): number {
  if (value < SMALL) {
    let v = Number(value);
    while (v >= 0x80) {
      buffer[at++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buffer[at++] = v;
    return at;
  }
  let v = BigInt(value);
  while (v >= 0x80n) {
    buffer[at++] = Number(v & 0x7fn) | 0x80;
    v >>= 7n;
  }
  buffer[at++] = Number(v);
  return at;
}
