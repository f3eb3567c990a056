#!/usr/bin/env bash
# Differential test: the same generated data and a few hundred generated InfluxQL queries on
# Fieldhub (in process) and on a real InfluxDB 1.8, answers compared. Not part of `make test`
# because it needs the peer. Starts InfluxDB through ../shared/bench/peers.sh unless INFLUX_URL
# points at a running one.
#
#   make difftest                         # 400 queries, random seed (printed)
#   N=1000 SEED=42 make difftest          # more queries, fixed seed
#   INFLUX_URL=http://127.0.0.1:8086 make difftest
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PEERS=${PEERS:-$ROOT/../shared/bench/peers.sh}
N=${N:-400}
SEED=${SEED:-0}
PORT=${DIFF_PORT:-28486}
cd "$ROOT"
pid=
dir=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  [ -n "$dir" ] && rm -rf "$dir"
  return 0
}
trap cleanup EXIT
url=${INFLUX_URL:-}
if [ -z "$url" ]; then
  [ -x "$PEERS" ] || { echo "difftest: $PEERS not found; set PEERS or INFLUX_URL" >&2; exit 1; }
  "$PEERS" install >/dev/null
  dir=$(mktemp -d "${TMPDIR:-/tmp}/fieldhub-difftest.XXXXXX")
  "$PEERS" influxd "$dir" "$PORT" >"$dir/influxd.log" 2>&1 &
  pid=$!
  url=http://127.0.0.1:$PORT
  for _ in $(seq 1 150); do curl -sf "$url/ping" >/dev/null && break; sleep 0.2; done
  curl -sf "$url/ping" >/dev/null || { echo "difftest: InfluxDB did not start" >&2; cat "$dir/influxd.log" >&2; exit 1; }
fi
echo "difftest: comparing with InfluxDB at $url ($N queries)"
go test -count=1 -tags difftest ./internal/query -run 'TestDifferential' -v \
  -influx "$url" -difftest.n "$N" -difftest.seed "$SEED" | grep -v '^=== RUN'
