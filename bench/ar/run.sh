#!/usr/bin/env bash
# scripts/bench ar: the cost of flowlet adaptive routing against static hashing on the same
# next-hop groups, on the dataplane benchmark's harness (bench/dataplane: net_pcap infinite_rx in,
# net_null out, one forwarding lcore on CPU 1, samplers on CPU 0), in the same run and the same
# weft-dataplane process: case a's workload (1k routes, 4k flows), routes over ECMP_GROUPS 4-way
# groups, measured with the groups in LOAD_BALANCE_MODE_HASH, then re-written to
# LOAD_BALANCE_MODE_FLOWLET (default flowlet settings: 4096 entries per worker, 100 us gap), and
# both again (ROUNDS times, alternating; each mode's best 1 s window counts: other engineers'
# jobs share the cores and can only lower a window). All members are on the one net_null port, so
# adaptive routing does all its work (flowlet table, clock, load reads) but cannot change where
# packets go: the cost is what it adds per packet.
# The last line is `adaptive routing cost ratio: R`, R = flowlet rate / hash rate (target >= 0.85).
# Environment: WARMUP (s, 2), WINDOW (1 s windows, 4), ROUNDS (2), ECMP_GROUPS (64),
# WEFT_BENCH_BUILD (build dir, build-bench), RT (1: SCHED_FIFO forwarding thread).
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"

WARMUP=${WARMUP:-2}
WINDOW=${WINDOW:-4}
ROUNDS=${ROUNDS:-2}
NEIGHBORS=8
ECMP_GROUPS=${ECMP_GROUPS:-64}
FWD_CPU=1
SAMPLER_CPU=0
EAL_MEM_MB=4096

work="$BENCH_BUILD/ar-work"
logs="$work/logs"
mkdir -p "$logs"
declare -A RATE MEDIAN

note "dependencies and builds"
[[ -x $BENCH_ROOT/scripts/install-deps ]] && "$BENCH_ROOT/scripts/install-deps"
bench_options=(-Doptimization=3 -Ddebug=true -Db_ndebug=true -Dtests=false)
if [[ ! -f $BENCH_BUILD/build.ninja ]]; then
  meson setup "$BENCH_BUILD" "$BENCH_ROOT" "${bench_options[@]}" >"$logs/meson.log" 2>&1 ||
    { cat "$logs/meson.log"; exit 1; }
fi
weft=$BENCH_BUILD/dataplane/weft-dataplane
loader="$BENCH_BUILD/bench/weft-bench-routes"
counter_rate="$BENCH_BUILD/bench/weft-bench-rate"
nice ninja -C "$BENCH_BUILD" -j2 dataplane/weft-dataplane bench/weft-bench-routes \
  bench/weft-bench-rate >"$logs/ninja.log" 2>&1 || { tail -20 "$logs/ninja.log"; exit 1; }

stamp="$work/a/.done-$(md5sum "$BENCH_ROOT/bench/gen/gen_workload.py" | cut -c1-8)"
if [[ ! -f $stamp ]]; then
  rm -rf "$work/a"
  "$BENCH_PY" "$BENCH_ROOT/bench/gen/gen_workload.py" --routes 1000 --flows 4096 "$work/a"
  touch "$stamp"
fi

# The same weft-dataplane config as `scripts/bench dataplane` (bench/dataplane/weft_side.sh).
work_dataplane=$work
source "$BENCH_ROOT/bench/dataplane/weft_side.sh"
work=$work_dataplane

record() {  # record KEY LABEL LINE: keeps the best window of KEY, prints the sample
  local key=$1 label=$2 line=$3 rate median
  rate=$(sed -n 's/.*mpps=\([0-9.]*\) median.*/\1/p' <<<"$line")
  median=$(sed -n 's/.*median=\([0-9.]*\).*/\1/p' <<<"$line")
  printf '%-40s %8s Mpps   (median %s; %s)\n' "$label" "$rate" "$median" "$line"
  [[ -n $rate ]] || return 1
  if [[ -z ${RATE[$key]:-} ]] || [[ $(bench_calc "$rate > ${RATE[$key]}") == True ]]; then
    RATE[$key]=$rate
    MEDIAN[$key]=$median
  fi
}

sample_telemetry() {
  taskset -c "$SAMPLER_CPU" "$BENCH_PY" "$BENCH_ROOT/bench/lib/ethdev_rate.py" --file-prefix "$1" \
    --tx-port net_null --rx-port net_pcap --warmup "$WARMUP" --window "$WINDOW" --start-timeout 120
}

note "weft-dataplane, case a (1k routes, 4k flows), $ECMP_GROUPS 4-way groups"
bench_prefix "weft-ar"
prefix=$BENCH_PREFIX
run="$work/run-ar"
rm -rf "$run"
mkdir -p "$run"
socket="unix:$run/dataplane.sock"
weft_config a "$prefix" "$run" >"$run/dataplane.json"
bench_rt_control "$SAMPLER_CPU"
if ! bench_start_weft "$logs/weft-ar.log" "$run/dataplane.sock" "$FWD_CPU" "$weft" \
  --config "$run/dataplane.json"; then
  bench_stop "$BENCH_LAST_PID"
  say "adaptive routing cost ratio: n/a"
  exit 3
fi
pid=$BENCH_LAST_PID
program=("$loader" --socket "$socket" --port Ethernet4 --neighbors "$NEIGHBORS" --ways 4
  --groups "$ECMP_GROUPS")
"${program[@]}" --routes "$work/a/routes_v4.txt" >"$logs/install.log"
for ((r = 1; r <= ROUNDS; r++)); do
  for mode in hash flowlet; do
    "${program[@]}" --mode "$mode" >>"$logs/install.log" || { bench_stop "$pid"; exit 1; }
    line=$(weft_rate "$prefix" "$socket") || { bench_stop "$pid"; exit 1; }
    record "$mode" "round $r  4-way groups, $mode" "$line" || { bench_stop "$pid"; exit 1; }
  done
done
"$loader" --socket "$socket" --port Ethernet4 --counters | sed "s/^/weft counters: /"
bench_stop "$pid"

note "summary (Mpps = million 64-byte packets/s forwarded to net_null, one lcore)"
printf '%-40s %8s Mpps (median %6s)\n' "static hashing (4-way groups)" "${RATE[hash]}" "${MEDIAN[hash]}"
printf '%-40s %8s Mpps (median %6s)\n' "flowlet adaptive routing (same groups)" "${RATE[flowlet]}" \
  "${MEDIAN[flowlet]}"
say "adaptive routing cost ratio: $(bench_calc "'%.3f' % (${RATE[flowlet]} / ${RATE[hash]})")"
