/**
 * Node flags cri-ts runs with. V8's young generation otherwise grows to 2 ×
 * 16 MiB semispaces under load and keeps them: measured at 100 pods, cri-ts
 * took 106 MiB RSS and 116 MiB after the pods were gone; with 2 MiB, 81 and
 * 82 (idle 74 → 70). V8 reads this only at start, so it is on the command
 * line: the shebang of main.js, scripts/start.sh, the wrapper
 * scripts/install.sh writes, and the test and bench harnesses (a unit test
 * keeps them in step).
 */
export const CRI_TS_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2'];

/**
 * The environment cri-ts runs with, on the same command lines. glibc gives
 * each thread that allocates an arena of its own (up to 8 per core), and the
 * threadpool's file reads for stats left them fragmented: 70 s after 100 pods
 * and their stats calls were gone, cri-ts held 80 MiB RSS, 74 with two
 * arenas (idle 61 either way). glibc reads it before main(), so it cannot be
 * set from inside.
 */
export const CRI_TS_NODE_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };
