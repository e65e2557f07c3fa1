/**
 * A liveness check whose success is reused for `maxAgeMs`: Status polled in
 * a burst asks containerd once, not once per call (containerd's own CRI never
 * asks: serving at all proves containerd is up). Checks running at once share
 * one probe; a failure is never reused, so the next call probes again.
 *
 * Past `maxAgeMs`, while `connected()` says the connection to a containerd
 * that answered last time is still up, the check passes at once and probes
 * again behind the caller: a containerd that died closed its socket, so the
 * connection is down and the check waits for a probe; one that hangs is
 * caught by that background probe, and the next check waits for a probe.
 */
export function reuseRecentSuccess(
  probe: (timeoutMs: number) => Promise<void>,
  maxAgeMs: number,
  now: () => number = () => performance.now(),
  connected: () => boolean = () => false,
): (timeoutMs: number) => Promise<void> {
  let answeredAt = Number.NEGATIVE_INFINITY;
  let lastFailed = false;
  let inFlight: Promise<void> | undefined;
  let probeSoon: NodeJS.Timeout | undefined;
  const probeOnce = (timeoutMs: number): Promise<void> => {
    inFlight ??= probe(timeoutMs)
      .then(
        () => {
          answeredAt = now();
          lastFailed = false;
        },
        (err: unknown) => {
          lastFailed = true;
          throw err;
        },
      )
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
  return (timeoutMs) => {
    if (now() - answeredAt <= maxAgeMs) return Promise.resolve();
    if (answeredAt !== Number.NEGATIVE_INFINITY && !lastFailed && connected()) {
      // On a timer, not at once: the caller's reply goes out first, with no containerd call ahead of it.
      if (!inFlight && !probeSoon) {
        probeSoon = setTimeout(() => {
          probeSoon = undefined;
          probeOnce(timeoutMs).catch(() => undefined);
        }, 1);
        probeSoon.unref();
      }
      return Promise.resolve();
    }
    return probeOnce(timeoutMs);
  };
}
