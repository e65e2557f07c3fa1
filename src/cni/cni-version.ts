// CNI spec version comparison ("0.3.1", "0.4.0", "1.0.0", "1.1.0").

/** Numeric [major, minor, patch]; parts that are missing or not numbers count as 0. */
function versionParts(version: string): [number, number, number] {
  const parts = version.trim().split('.').map((part) => {
    const n = Number.parseInt(part, 10);
    return Number.isFinite(n) && n >= 0 ? n : 0;
  });
  return [parts[0] ?? 0, parts[1] ?? 0, parts[2] ?? 0];
}

/** Negative when a < b, 0 when equal, positive when a > b. */
export function compareCniVersions(a: string, b: string): number {
  const pa = versionParts(a);
  const pb = versionParts(b);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function cniVersionAtLeast(version: string, minimum: string): boolean {
  return compareCniVersions(version, minimum) >= 0;
}

/** CHECK exists from 0.4.0 on; DEL receives the cached result as prevResult from 0.4.0 on. */
export const CNI_VERSION_CHECK = '0.4.0';
/** STATUS and GC exist from 1.1.0 on. */
export const CNI_VERSION_STATUS_GC = '1.1.0';
