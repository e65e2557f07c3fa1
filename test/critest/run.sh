#!/usr/bin/env bash
# Runs critest's validation suite against a CRI endpoint and enforces the
# ratchet in test/critest/expected-pass.txt.
#
#   run.sh [ENDPOINT]          default unix:///run/cri-ts/cri-ts.sock
#
# Environment:
#   CRITEST_FLAGS   extra critest flags, shell-quoted, e.g. skip what the host lacks:
#                     CRITEST_FLAGS="-ginkgo.skip='AppArmor|SELinux|with digest'"
#                   or run a part: CRITEST_FLAGS="-ginkgo.focus='Image Manager'"
#   CRITEST_OUT     directory for critest.log (-ginkgo.v output) and report.json
#                   (ginkgo's JSON report); default a new /tmp/critest.XXXXXX
#   CRITEST_HANDLER_RUNS  space-separated HANDLER=FOCUS: after the suite, the specs
#                   matching FOCUS run again with -runtime-handler HANDLER (critest asks
#                   only the handler it is given, e.g. whether it supports user
#                   namespaces), logged to critest-HANDLER.log and report-HANDLER.json;
#                   the ratchet reads every report (a spec passes if it passed in one)
#   CRITEST_VERSION, CRI_TS_CACHE   as for build-tools.sh
#
# The images critest pulls must be served offline: run build-images.sh first
# and map registry.k8s.io, k8s.gcr.io and gcr.io to http://127.0.0.1:5000.
#
# Ratchet: every spec listed in expected-pass.txt must pass (else exit 1, listing
# them); specs that pass but are not listed are printed as newly passing. Failing
# specs that are not listed do not fail the run. The last line is always
# "critest: N passed, N failed, N skipped".
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ENDPOINT=${1:-unix:///run/cri-ts/cri-ts.sock}
EXPECTED=$HERE/expected-pass.txt
OUT=${CRITEST_OUT:-$(mktemp -d /tmp/critest.XXXXXX)}
mkdir -p "$OUT"
rm -f "$OUT/report.json"
eval "extra=(${CRITEST_FLAGS:-})"
die() { echo "$*"; echo "critest: 0 passed, 0 failed, 0 skipped"; exit 1; }

TOOLS=$(bash "$HERE/build-tools.sh") || die "could not build critest (test/critest/build-tools.sh)"
CRITEST=$TOOLS/critest
if [[ $ENDPOINT == unix://* && ! -S ${ENDPOINT#unix://} ]]; then
  die "no CRI server: ${ENDPOINT#unix://} is not a socket"
fi
echo "critest against $ENDPOINT, log $OUT/critest.log" >&2
start=$(date +%s)
rc=0
(cd "$OUT" && "$CRITEST" --runtime-endpoint "$ENDPOINT" --image-endpoint "$ENDPOINT" \
  -ginkgo.v -ginkgo.no-color -ginkgo.json-report "$OUT/report.json" "${extra[@]}" \
  > "$OUT/critest.log" 2>&1) || rc=$?
echo "critest exited $rc after $(( $(date +%s) - start ))s" >&2

if [ ! -s "$OUT/report.json" ]; then
  tail -20 "$OUT/critest.log" >&2
  die "no JSON report: critest did not run the suite"
fi

reports=("$OUT/report.json")
for run in ${CRITEST_HANDLER_RUNS:-}; do
  handler=${run%%=*} focus=${run#*=}
  rm -f "$OUT/report-$handler.json"
  start=$(date +%s) rc=0
  (cd "$OUT" && "$CRITEST" --runtime-endpoint "$ENDPOINT" --image-endpoint "$ENDPOINT" -runtime-handler "$handler" \
    -ginkgo.focus "$focus" -ginkgo.v -ginkgo.no-color -ginkgo.json-report "$OUT/report-$handler.json" \
    > "$OUT/critest-$handler.log" 2>&1) || rc=$?
  echo "critest with runtime handler $handler ($focus) exited $rc after $(( $(date +%s) - start ))s" >&2
  [ -s "$OUT/report-$handler.json" ] || die "no JSON report from the run with runtime handler $handler"
  reports+=("$OUT/report-$handler.json")
done

node - "$EXPECTED" "${reports[@]}" <<'JS'
const fs = require('node:fs');
const [expectedFile, ...reportFiles] = process.argv.slice(2);
const specs = reportFiles.flatMap((f) => JSON.parse(fs.readFileSync(f, 'utf8')).flatMap((r) => r.SpecReports ?? []));
const name = (s) => [...(s.ContainerHierarchyTexts ?? []), s.LeafNodeText].filter(Boolean).join(' ');
const failedStates = new Set(['failed', 'panicked', 'timedout', 'interrupted', 'aborted']);
const passed = new Set(), failed = [], skipped = new Set();
for (const s of specs) {
  const isSpec = s.LeafNodeType === 'It';
  if (isSpec && s.State === 'passed') passed.add(name(s));
  else if (failedStates.has(s.State)) failed.push({ name: isSpec ? name(s) : `[${s.LeafNodeType}]`, why: s.Failure?.Message ?? '' });
  else if (isSpec) skipped.add(name(s));
}
// A spec skipped in one run (the suite's) and passed in another (its handler's) passed.
for (const n of passed) skipped.delete(n);
const expected = fs.readFileSync(expectedFile, 'utf8').split('\n')
  .map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
const missing = expected.filter((n) => !passed.has(n));
const expectedSet = new Set(expected);
const newly = [...passed].filter((n) => !expectedSet.has(n)).sort();

// the first informative line of a failure ("Unexpected error:" and "<*status.Error | 0x...>:" are not)
const why = (msg) => {
  const lines = msg.split('\n').map((l) => l.trim()).filter(Boolean);
  return (lines.find((l) => !/^(Unexpected error:?|<[^>]*>:?|[{}\[\]])$/.test(l)) ?? lines[0] ?? '').slice(0, 300);
};
for (const f of failed) console.log(`FAIL: ${f.name}\n      ${why(f.why)}`);
if (newly.length) {
  console.log(`\n${newly.length} newly passing, add to expected-pass.txt:`);
  for (const n of newly) console.log(n);
}
if (missing.length) {
  console.log(`\n${missing.length} listed in expected-pass.txt but did not pass:`);
  for (const n of missing) console.log(n);
}
console.log(`critest: ${passed.size} passed, ${failed.length} failed, ${skipped.size} skipped`);
process.exit(missing.length ? 1 : 0);
JS
