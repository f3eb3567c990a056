#!/usr/bin/env bash
# Memory benchmark: resident memory of `fieldhub serve` per active series. Builds fieldhub and
# fieldsim, starts the hub on a temp data dir and a free loopback port, writes the battery
# workload for SERIES devices (every series lands in the head; the head flushes at least once),
# samples the server's VmRSS/VmHWM from /proc/PID/status while it runs and after the load, and
# prints peak RSS, RSS per series and Go heap statistics (from /metrics and a pprof heap
# profile). See bench/README.md.
#
#   bench/memory.sh                       # 100,000 series x 40 points
#   SERIES=10000 POINTS=20 bench/memory.sh   # quick check
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SERIES=${SERIES:-100000}
POINTS=${POINTS:-40}          # readings per device (~60 s apart)
WRITERS=${WRITERS:-2}
BATCH=${BATCH:-5000}
SEED=${SEED:-1}
SETTLE=${SETTLE:-10}          # seconds to keep sampling after the load
INTERVAL=${INTERVAL:-0.2}     # RSS sampling interval, seconds
BENCH_DIR=${BENCH_DIR:-}
KEEP=${KEEP:-0}               # 1 keeps the bench dir (data, logs, profiles)
SERVE_ARGS=${SERVE_ARGS:-}    # extra `fieldhub serve` flags
case "${1:-}" in -h | --help) sed -n '2,10p' "$0"; exit 0 ;; esac

log() { printf '%s memory.sh: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "$*"; exit 1; }

if [ -z "$BENCH_DIR" ]; then
  BENCH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/fieldhub-mem.XXXXXX")
else
  mkdir -p "$BENCH_DIR"
fi
server_pid=
sim_pid=
sampler_pid=

cleanup() {
  local rc=$?
  for p in "$sim_pid" "$sampler_pid"; do
    if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; fi
  done
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ "$KEEP" != 1 ]; then rm -rf "$BENCH_DIR"; else log "kept $BENCH_DIR"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# free_port: an unused TCP port on 127.0.0.1 (asks the kernel for one).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null ||
    echo $((20000 + RANDOM % 20000))
}

log "building fieldhub and fieldsim"
(cd "$ROOT" && go build -o "$BENCH_DIR/fieldhub" ./cmd/fieldhub && go build -o "$BENCH_DIR/fieldsim" ./cmd/fieldsim)

port=$(free_port)
pport=$(free_port)
while [ "$pport" = "$port" ]; do pport=$(free_port); done
data=$BENCH_DIR/data
mkdir -p "$data"
# shellcheck disable=SC2086
"$BENCH_DIR/fieldhub" serve --data-dir "$data" --http-addr "127.0.0.1:$port" \
  --pprof-addr "127.0.0.1:$pport" $SERVE_ARGS >"$BENCH_DIR/fieldhub.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do
  kill -0 "$server_pid" 2>/dev/null || die "fieldhub exited during startup: $(tail -5 "$BENCH_DIR/fieldhub.log")"
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/ping" || true)
  case $code in 2*) break ;; esac
  sleep 0.2
done
log "fieldhub pid $server_pid on 127.0.0.1:$port (pprof $pport), RSS at start $(awk '/VmRSS/ {print $2}' /proc/$server_pid/status) kB"

# Sampler: one line per sample, "seconds phase VmRSS_kB VmHWM_kB" (phase load/after in the
# file named by $BENCH_DIR/phase).
echo load >"$BENCH_DIR/phase"
(
  t0=$(date +%s.%N)
  while kill -0 "$server_pid" 2>/dev/null; do
    rss=$(awk '/^VmRSS/ {r=$2} /^VmHWM/ {h=$2} END {print r, h}' "/proc/$server_pid/status" 2>/dev/null) || break
    printf '%s %s %s\n' "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b-a}')" "$(cat "$BENCH_DIR/phase")" "$rss"
    sleep "$INTERVAL"
  done
) >"$BENCH_DIR/rss.txt" &
sampler_pid=$!

log "fieldsim battery: $SERIES devices x $POINTS readings, $WRITERS writers, batches of $BATCH"
"$BENCH_DIR/fieldsim" --url "http://127.0.0.1:$port" --db bench --create-db --workload battery \
  --scale "$SERIES" --points-per-series "$POINTS" --seed "$SEED" --writers "$WRITERS" \
  --batch "$BATCH" --server-pid "$server_pid" --json --quiet >"$BENCH_DIR/fieldsim.json" &
sim_pid=$!
sim_rc=0
wait "$sim_pid" || sim_rc=$?
sim_pid=
[ "$sim_rc" = 0 ] || die "fieldsim failed with status $sim_rc; see $BENCH_DIR/fieldsim.json"
echo after >"$BENCH_DIR/phase"
curl -s "http://127.0.0.1:$port/metrics" >"$BENCH_DIR/metrics-load.txt"
sleep "$SETTLE"
curl -s "http://127.0.0.1:$port/metrics" >"$BENCH_DIR/metrics.txt"
curl -s -o "$BENCH_DIR/heap.pprof" "http://127.0.0.1:$pport/debug/pprof/heap" || true
status=$(cat "/proc/$server_pid/status")
kill "$sampler_pid" 2>/dev/null || true
wait "$sampler_pid" 2>/dev/null || true
sampler_pid=

metric() { awk -v m="$1" '$1 == m {printf "%.0f", $2}' "$2"; }
hwm=$(awk '/^VmHWM/ {print $2}' <<<"$status")
rss_now=$(awk '/^VmRSS/ {print $2}' <<<"$status")
peak_load=$(awk '$2 == "load" && $3 > m {m = $3} END {print m + 0}' "$BENCH_DIR/rss.txt")
series=$(metric fieldhub_tsdb_series "$BENCH_DIR/metrics.txt")
flushes=$(metric fieldhub_tsdb_head_flushes_total "$BENCH_DIR/metrics.txt")
values=$(sed -n 's/^  "values": \([0-9]*\),\{0,1\}$/\1/p' "$BENCH_DIR/fieldsim.json")
vps=$(sed -n 's/^  "values_per_server_cpu_sec": \([0-9.eE+]*\),\{0,1\}$/\1/p' "$BENCH_DIR/fieldsim.json")
cpu=$(sed -n 's/^  "server_cpu_seconds": \([0-9.eE+]*\),\{0,1\}$/\1/p' "$BENCH_DIR/fieldsim.json")
[ "${flushes:-0}" -ge 1 ] || log "WARNING: no head flush happened; raise POINTS"
per() { awk -v kb="$1" -v n="${series:-$SERIES}" 'BEGIN { if (n > 0) printf "%.0f", kb * 1024 / n; else print 0 }'; }
mib() { awk -v kb="$1" 'BEGIN { printf "%.1f", kb / 1024 }'; }
bmib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

echo
echo "Memory benchmark: battery, $SERIES devices x $POINTS readings ($values values), seed $SEED"
printf '%-34s %s\n' "series in the index" "$series"
printf '%-34s %s\n' "head flushes" "$flushes"
printf '%-34s %s (%s values/server-cpu-s)\n' "server CPU during load (s)" "$cpu" "$vps"
printf '%-34s %8s MiB  %6s B/series\n' "peak RSS (VmHWM)" "$(mib "$hwm")" "$(per "$hwm")"
printf '%-34s %8s MiB  %6s B/series\n' "peak RSS sampled during load" "$(mib "$peak_load")" "$(per "$peak_load")"
printf '%-34s %8s MiB  %6s B/series\n' "RSS ${SETTLE}s after the load" "$(mib "$rss_now")" "$(per "$rss_now")"
m=$BENCH_DIR/metrics.txt
printf '%-34s %8s MiB\n' "Go heap in use (after)" "$(bmib "$(metric go_memstats_heap_inuse_bytes "$m")")"
printf '%-34s %8s MiB\n' "Go heap alloc, live+garbage" "$(bmib "$(metric go_memstats_heap_alloc_bytes "$m")")"
printf '%-34s %8s MiB\n' "Go heap idle / released" "$(bmib "$(metric go_memstats_heap_idle_bytes "$m")") / $(bmib "$(metric go_memstats_heap_released_bytes "$m")")"
printf '%-34s %8s MiB\n' "Go sys (from OS)" "$(bmib "$(metric go_memstats_sys_bytes "$m")")"
printf '%-34s %8s MiB\n' "engine head estimate (after)" "$(bmib "$(metric fieldhub_tsdb_head_bytes "$m")")"
printf '%-34s %8s MiB\n' "engine head estimate (end of load)" "$(bmib "$(metric fieldhub_tsdb_head_bytes "$BENCH_DIR/metrics-load.txt")")"
if [ -s "$BENCH_DIR/heap.pprof" ]; then
  echo
  echo "Top in-use heap (pprof, after the load):"
  go tool pprof -sample_index=inuse_space -top -nodecount=12 "$BENCH_DIR/heap.pprof" 2>/dev/null | sed -n '4,20p' || true
fi
echo
log "samples in $BENCH_DIR/rss.txt (KEEP=1 keeps them)"
