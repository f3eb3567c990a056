#!/usr/bin/env bash
# WAL replay speed: writes VALUES field values (default 5M, cpu workload) to a hub
# whose head never flushes, kills it with SIGKILL so everything is only in the WAL,
# restarts it and prints the replay line (values/s) the engine logs.
#
#   make build && bench/replay.sh
set -euo pipefail
cd "$(dirname "$0")/.."
FIELDHUB=${FIELDHUB:-./bin/fieldhub}
FIELDSIM=${FIELDSIM:-./bin/fieldsim}
PORT=${PORT:-18099}
POINTS=${POINTS:-500}   # per host; 1000 hosts x 10 fields x 500 = 5M values
dir=$(mktemp -d /tmp/fieldhub-replay.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$dir"; }
trap cleanup EXIT INT TERM
wait_ping() { for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/ping" && return 0; sleep 0.1; done; echo "hub did not start" >&2; exit 1; }

"$FIELDHUB" serve --data-dir "$dir/data" --http-addr "127.0.0.1:$PORT" --head-memory-limit 8GiB --log-level warn &
pids+=($!); wait_ping
"$FIELDSIM" --url "http://127.0.0.1:$PORT" --db bench --create-db --workload cpu --scale 1000 \
  --points-per-series "$POINTS" --writers 2 --batch 5000 --quiet | grep -E '^(values|wall time):'
kill -9 "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true
echo "WAL after kill -9: $(du -sb "$dir/data/wal" | cut -f1) bytes; parts: $(find "$dir/data" -name '*.part' | wc -l)"
"$FIELDHUB" serve --data-dir "$dir/data" --http-addr "127.0.0.1:$PORT" --log-format text 2>"$dir/log" &
pids+=($!); wait_ping
grep 'replayed WAL' "$dir/log"
