#!/usr/bin/env bash
# Query benchmark: loads the same fieldsim cpu data (1,000 hosts, 1 day at 10 s: 86.4M values)
# into Fieldhub and InfluxDB 1.8, restarts both (so the data is on disk, not only in memory),
# then times six queries alternately on both servers with bench/querybench and checks that
# both return the same numbers. See bench/README.md.
#
#   bench/query.sh                           # full run
#   HOSTS=100 POINTS=2160 bench/query.sh     # quick check on less data
#   KEEP=1 BENCH_DIR=/tmp/qb bench/query.sh  # keep the data; REUSE=1 skips loading next time
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PEERS=${PEERS:-$ROOT/../shared/bench/peers.sh}
HOSTS=${HOSTS:-1000}
POINTS=${POINTS:-8640}                 # per host: 1 day at 10 s
START=${START:-2024-01-01T00:00:00Z}
RUNS=${RUNS:-15}
FH_PORT=${FH_PORT:-28086}
IX_PORT=${IX_PORT:-28186}              # InfluxDB also binds IX_PORT+1
BENCH_DIR=${BENCH_DIR:-}
KEEP=${KEEP:-0}
REUSE=${REUSE:-0}

log() { printf '%s query.sh: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "$*"; exit 1; }
[ -x "$PEERS" ] || die "peers script $PEERS not found"
cd "$ROOT"
[ "${NOBUILD:-0}" = 1 ] || make build >/dev/null
if [ -z "$BENCH_DIR" ]; then BENCH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/fieldhub-qbench.XXXXXX"); fi
mkdir -p "$BENCH_DIR"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ "$KEEP" = 1 ] || rm -rf "$BENCH_DIR"
}
trap cleanup EXIT

wait_ready() { # url
  for _ in $(seq 1 300); do curl -sf "$1/ping" >/dev/null && return 0; sleep 0.2; done
  die "server at $1 did not start"
}
start_servers() {
  ./bin/fieldhub serve --data-dir "$BENCH_DIR/fieldhub" --http-addr "127.0.0.1:$FH_PORT" --log-level warn --wal-sync none \
    >"$BENCH_DIR/fieldhub.log" 2>&1 &
  FH_PID=$!
  "$PEERS" influxd "$BENCH_DIR/influx" "$IX_PORT" >"$BENCH_DIR/influx.log" 2>&1 &
  IX_PID=$!
  pids=("$FH_PID" "$IX_PID")
  wait_ready "http://127.0.0.1:$FH_PORT"
  wait_ready "http://127.0.0.1:$IX_PORT"
}
stop_servers() {
  kill -TERM "$FH_PID" "$IX_PID"
  wait "$FH_PID" "$IX_PID" 2>/dev/null || true
  pids=()
}

start_servers
# REUSE=1 skips a server whose data is already loaded (delete BENCH_DIR/fieldhub and
# BENCH_DIR/loaded.fieldhub to reload only Fieldhub after a format change).
for s in fieldhub influx; do
  port=$FH_PORT; [ "$s" = influx ] && port=$IX_PORT
  if [ "$REUSE" = 1 ] && [ -f "$BENCH_DIR/loaded.$s" ]; then continue; fi
  log "loading $HOSTS hosts x $POINTS points into $s (:$port)"
  ./bin/fieldsim --url "http://127.0.0.1:$port" --workload cpu --scale "$HOSTS" --points-per-series "$POINTS" \
    --start "$START" --writers 2 --batch 5000 --precision s --create-db --db bench --quiet
  touch "$BENCH_DIR/loaded.$s"
done
log "restarting both servers so queries read from disk"
stop_servers
start_servers
log "running queries ($RUNS timed runs each, alternating servers)"
go run ./bench/querybench -a "http://127.0.0.1:$FH_PORT" -b "http://127.0.0.1:$IX_PORT" -db bench \
  -start "$START" -hosts "$HOSTS" -runs "$RUNS"
