/**
 * A liveness check whose success is reused for `maxAgeMs`: Status polled in
 * a burst asks containerd once, not once per call (containerd's own CRI never
 * asks: serving at all proves containerd is up). Checks running at once share
 * one probe; a failure is never reused, so the next call probes again.
 */
export function reuseRecentSuccess(
  probe: (timeoutMs: number) => Promise<void>,
  maxAgeMs: number,
  now: () => number = () => performance.now(),
): (timeoutMs: number) => Promise<void> {
  let answeredAt = Number.NEGATIVE_INFINITY;
  let inFlight: Promise<void> | undefined;
  return (timeoutMs) => {
    if (now() - answeredAt <= maxAgeMs) return Promise.resolve();
    inFlight ??= probe(timeoutMs)
      .then(() => {
        answeredAt = now();
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
}
