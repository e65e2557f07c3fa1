#!/usr/bin/env bash
# Stops the image registry that build-images.sh started (by the pid in its pid
# file under ${CRI_TS_CACHE:-/var/cache/cri-ts}/critest-images). Its storage stays.
set -euo pipefail
PIDFILE=${CRI_TS_CACHE:-/var/cache/cri-ts}/critest-images/registry.pid
[ -f "$PIDFILE" ] || { echo "stop-registry.sh: no pid file ($PIDFILE), nothing to stop"; exit 0; }
pid=$(cat "$PIDFILE")
if kill -0 "$pid" 2>/dev/null && grep -q registry "/proc/$pid/cmdline" 2>/dev/null; then
  kill "$pid"
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  echo "stop-registry.sh: stopped registry (pid $pid)"
else
  echo "stop-registry.sh: registry (pid $pid) was not running"
fi
rm -f "$PIDFILE"
