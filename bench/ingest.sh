#!/usr/bin/env bash
# Ingest benchmark: the same fieldsim workloads against InfluxDB 1.8, VictoriaMetrics and
# Fieldhub, one server at a time on loopback. For each run it reports values per server
# CPU-second (server utime+stime during the load) and, after a graceful stop, the size of the
# whole data directory and bytes per value. See bench/README.md.
#
#   bench/ingest.sh                          # all servers, both workloads
#   bench/ingest.sh --only influx,vm         # skip Fieldhub (e.g. before it exists)
#   bench/ingest.sh --workloads battery      # one workload
#   CPU_POINTS=60 BATTERY_POINTS=10 bench/ingest.sh --only vm   # quick check
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PEERS=${PEERS:-$ROOT/../shared/bench/peers.sh}
FIELDHUB=${FIELDHUB:-./bin/fieldhub}
CPU_HOSTS=${CPU_HOSTS:-1000}
CPU_POINTS=${CPU_POINTS:-4320}          # points per host: 12 h of 10 s data, 43.2M values
BATTERY_DEVICES=${BATTERY_DEVICES:-10000}
BATTERY_POINTS=${BATTERY_POINTS:-360}   # readings per device: ~6 h of 60 s data, 25.2M values
WRITERS=${WRITERS:-2}
BATCH=${BATCH:-5000}
SEED=${SEED:-1}
PRECISION=${PRECISION:-s}
PORT=${BENCH_PORT:-18086}               # InfluxDB also binds PORT+1 for its RPC service
SETTLE=${SETTLE:-0}                     # seconds to idle between the load and SIGTERM
STOP_TIMEOUT=${STOP_TIMEOUT:-300}       # seconds to wait for a graceful stop before SIGKILL
BENCH_DIR=${BENCH_DIR:-}
KEEP=${KEEP:-0}                         # 1 keeps data directories for inspection

only=influx,vm,fieldhub
workloads=cpu,battery
while [ $# -gt 0 ]; do
  case "$1" in
  --only) only=$2; shift 2 ;;
  --only=*) only=${1#*=}; shift ;;
  --workloads) workloads=$2; shift 2 ;;
  --workloads=*) workloads=${1#*=}; shift ;;
  -h | --help) sed -n '2,11p' "$0"; exit 0 ;;
  *) echo "ingest.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

log() { printf '%s ingest.sh: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "$*"; exit 1; }

for s in ${only//,/ }; do
  case $s in influx | vm | fieldhub) ;; *) die "unknown server $s (want influx, vm, fieldhub)" ;; esac
done
for w in ${workloads//,/ }; do
  case $w in cpu | battery) ;; *) die "unknown workload $w (want cpu, battery)" ;; esac
done
case ",$only," in *,influx,* | *,vm,*) [ -x "$PEERS" ] || die "peers script $PEERS not found" ;; esac
case ",$only," in *,fieldhub,*) [ -x "$FIELDHUB" ] || die "no fieldhub binary at $FIELDHUB (set FIELDHUB or use --only influx,vm)" ;; esac

if [ -z "$BENCH_DIR" ]; then
  BENCH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/fieldhub-bench.XXXXXX")
else
  mkdir -p "$BENCH_DIR"
fi
server_pid=
sim_pid=

cleanup() {
  local rc=$?
  if [ -n "$sim_pid" ] && kill -0 "$sim_pid" 2>/dev/null; then
    kill -TERM "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
  fi
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    log "stopping server $server_pid"
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ "$KEEP" != 1 ]; then
    rm -rf "$BENCH_DIR"/data-*
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building fieldsim"
(cd "$ROOT" && go build -o "$BENCH_DIR/fieldsim" ./cmd/fieldsim)

# start_server NAME DIR: starts NAME in the background with data in DIR, sets server_pid.
start_server() {
  local name=$1 dir=$2 out=$BENCH_DIR/$1-$3.log
  case $name in
  influx) "$PEERS" influxd "$dir" "$PORT" >"$out" 2>&1 & ;;
  vm) "$PEERS" vm "$dir" "$PORT" >"$out" 2>&1 & ;;
  fieldhub) "$FIELDHUB" serve --data-dir "$dir" --http-addr "127.0.0.1:$PORT" >"$out" 2>&1 & ;;
  esac
  # peers.sh execs the server, so $! is the server process itself.
  server_pid=$!
  local path=/ping
  [ "$name" = vm ] && path=/health
  for _ in $(seq 1 300); do
    kill -0 "$server_pid" 2>/dev/null || die "$name exited during startup; see $out"
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT$path" || true)
    case $code in 2*) return 0 ;; esac
    sleep 0.2
  done
  die "$name did not become ready on port $PORT; see $out"
}

# stop_server: SIGTERM and wait, SIGKILL after STOP_TIMEOUT. Sets stop_s to the seconds it
# took. (Not run in a subshell: only this shell can wait for the server.)
stop_server() {
  local t0 t1
  t0=$(date +%s.%N)
  kill -TERM "$server_pid"
  for _ in $(seq 1 $((STOP_TIMEOUT * 10))); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$server_pid" 2>/dev/null; then
    log "server $server_pid ignored SIGTERM for ${STOP_TIMEOUT}s; killing"
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  wait "$server_pid" 2>/dev/null || true
  server_pid=
  t1=$(date +%s.%N)
  stop_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
}

# jnum KEY FILE: a numeric member of fieldsim's indented JSON summary (0 if absent).
jnum() {
  local v
  v=$(sed -n "s/^  \"$1\": \([-0-9.eE+]*\),\{0,1\}$/\1/p" "$2")
  echo "${v:-0}"
}

results=$BENCH_DIR/results.tsv
printf 'server\tworkload\tpoints\tvalues\twall_s\tvalues_per_s\tserver_cpu_s\tvalues_per_cpu_s\ttotal_cpu_s\tstop_s\tdisk_bytes\tbytes_per_value\n' >"$results"

for w in ${workloads//,/ }; do
  case $w in
  cpu) scale=$CPU_HOSTS points=$CPU_POINTS ;;
  battery) scale=$BATTERY_DEVICES points=$BATTERY_POINTS ;;
  esac
  for s in influx vm fieldhub; do
    case ",$only," in *,"$s",*) ;; *) continue ;; esac
    dir=$BENCH_DIR/data-$s-$w
    rm -rf "$dir"
    mkdir -p "$dir"
    log "$s / $w: scale $scale, $points points per series, $WRITERS writers, batches of $BATCH"
    start_server "$s" "$dir" "$w"
    create=--create-db
    [ "$s" = vm ] && create= # VictoriaMetrics has no databases
    json=$BENCH_DIR/$s-$w.json
    # In the background so that a signal to this script runs the trap at once (bash
    # defers traps until a foreground command ends, but interrupts wait).
    "$BENCH_DIR/fieldsim" --url "http://127.0.0.1:$PORT" --db bench $create \
      --workload "$w" --scale "$scale" --points-per-series "$points" --seed "$SEED" \
      --writers "$WRITERS" --batch "$BATCH" --precision "$PRECISION" \
      --server-pid "$server_pid" --json >"$json" &
    sim_pid=$!
    sim_rc=0
    wait "$sim_pid" || sim_rc=$?
    sim_pid=
    [ "$sim_rc" = 0 ] || die "fieldsim failed against $s ($w) with status $sim_rc; summary in $json"
    if [ "$SETTLE" -gt 0 ]; then sleep "$SETTLE"; fi
    total_cpu=$("$PEERS" cpu "$server_pid" 2>/dev/null || echo 0)
    stop_server
    disk=$(du -sb "$dir" | cut -f1)
    values=$(jnum values "$json")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$s" "$w" \
      "$(jnum points "$json")" "$values" "$(jnum wall_seconds "$json")" \
      "$(jnum values_per_sec "$json")" "$(jnum server_cpu_seconds "$json")" \
      "$(jnum values_per_server_cpu_sec "$json")" "$total_cpu" "$stop_s" "$disk" \
      "$(awk -v d="$disk" -v v="$values" 'BEGIN { if (v > 0) printf "%.3f", d / v; else print 0 }')" >>"$results"
    log "$s / $w: done, $(tail -1 "$results" | cut -f8) values/cpu-s, $disk bytes on disk"
  done
done

echo
echo "Ingest benchmark: $WRITERS writers, batches of $BATCH, precision $PRECISION, seed $SEED"
echo "cpu: $CPU_HOSTS hosts x $CPU_POINTS points; battery: $BATTERY_DEVICES devices x $BATTERY_POINTS readings"
echo
awk -F'\t' 'NR == 1 {
    printf "%-9s %-8s %10s %11s %7s %10s %7s %12s %7s %6s %13s %8s\n",
      "server", "workload", "points", "values", "wall_s", "values/s", "cpu_s", "values/cpu-s",
      "tot_cpu", "stop_s", "disk_bytes", "B/value"
    next
  }
  {
    printf "%-9s %-8s %10d %11d %7.1f %10.0f %7.2f %12.0f %7.2f %6.1f %13d %8.3f\n",
      $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12
  }' "$results"

if grep -q '^fieldhub' "$results"; then
  echo
  echo "Fieldhub / peer (values per CPU-second: higher is better; bytes per value: lower is better)"
  awk -F'\t' 'NR > 1 { cpu[$1 "/" $2] = $8; bpv[$1 "/" $2] = $12; w[$2] = 1 }
    END {
      for (wl in w) {
        f = "fieldhub/" wl
        if (!(f in cpu)) continue
        for (p in cpu) {
          split(p, a, "/")
          if (a[2] != wl || a[1] == "fieldhub") continue
          printf "%-8s vs %-7s values/cpu-s x%.2f   bytes/value x%.2f\n", wl, a[1],
            (cpu[p] > 0 ? cpu[f] / cpu[p] : 0), (bpv[p] > 0 ? bpv[f] / bpv[p] : 0)
        }
      }
    }' "$results" | sort
fi
echo
log "results in $results"
