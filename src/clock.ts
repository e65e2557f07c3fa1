const NS_PER_MS = 1_000_000n;

// Wall clock with nanosecond digits: Date.now() (ms) as the base, advanced by
// the monotonic process.hrtime. Re-based when the two drift apart (clock
// step or slew), so the result stays within a couple of ms of the wall clock.
const MAX_DRIFT_NS = 2n * NS_PER_MS;
let baseWallNs = BigInt(Date.now()) * NS_PER_MS;
let baseHrNs = process.hrtime.bigint();

/** Nanoseconds since the epoch, as CRI timestamps and log lines carry them. */
export function nowEpochNs(): bigint {
  const hr = process.hrtime.bigint();
  const wall = BigInt(Date.now()) * NS_PER_MS;
  const estimate = baseWallNs + (hr - baseHrNs);
  const drift = estimate - wall;
  // Date.now() truncates to the ms, so the estimate is normally 0..1 ms ahead.
  if (drift > MAX_DRIFT_NS || drift < -MAX_DRIFT_NS) {
    baseWallNs = wall;
    baseHrNs = hr;
    return wall;
  }
  return estimate;
}
