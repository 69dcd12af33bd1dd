#!/usr/bin/env bash
# scripts/bench tm: what the traffic manager costs per packet. The harness of `scripts/bench
# dataplane` (net_pcap infinite_rx in, net_null out, one forwarding lcore on CPU 1, samplers on
# CPU 0; case a: 1k routes, 4k flows, single next hops), one weft-dataplane process measured with
# the traffic manager off, on, and off again: on = every packet classified, admitted to the
# buffer, WRED-evaluated, enqueued into one of 8 configured queues, scheduled (SP + DWRR) and
# drained, ports at unlimited rate, PFC generation polled, the watchdog run (bench/tm/tm_config.py).
# The last line is `traffic manager cost ratio: R`, R = rate with it on / the better of the two
# rates with it off (target >= 0.75).
# Environment: WARMUP (s, 2), WINDOW (1 s windows, 5), NEIGHBORS (8), WEFT_BENCH_BUILD, RT.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"

WARMUP=${WARMUP:-2}
WINDOW=${WINDOW:-5}
NEIGHBORS=${NEIGHBORS:-8}
FWD_CPU=1
SAMPLER_CPU=0
EAL_MEM_MB=4096

work="$BENCH_BUILD/dataplane-work"  # the workload is shared with scripts/bench dataplane
logs="$BENCH_BUILD/tm-work/logs"
mkdir -p "$logs" "$work"
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

stamp="$work/a/.done-1000-4096-$(md5sum "$BENCH_ROOT/bench/gen/gen_workload.py" | cut -c1-8)"
if [[ ! -f $stamp ]]; then
  rm -rf "$work/a"
  "$BENCH_PY" "$BENCH_ROOT/bench/gen/gen_workload.py" --routes 1000 --flows 4096 "$work/a"
  touch "$stamp"
fi

sample_telemetry() {
  taskset -c "$SAMPLER_CPU" "$BENCH_PY" "$BENCH_ROOT/bench/lib/ethdev_rate.py" --file-prefix "$1" \
    --tx-port net_null --rx-port net_pcap --warmup "$WARMUP" --window "$WINDOW" --start-timeout 120
}
source "$BENCH_ROOT/bench/dataplane/weft_side.sh"  # weft_config, weft_rate

record() {  # record KEY LABEL LINE
  local rate median
  rate=$(sed -n 's/.*mpps=\([0-9.]*\) median.*/\1/p' <<<"$3")
  median=$(sed -n 's/.*median=\([0-9.]*\).*/\1/p' <<<"$3")
  printf '%-40s %8s Mpps   (median %s; %s)\n' "$2" "$rate" "$median" "$3"
  RATE[$1]=$rate
  MEDIAN[$1]=$median
}

note "weft-dataplane, case a (1k routes, 4k flows), traffic manager off / on / off"
bench_prefix "weft-tm"
prefix=$BENCH_PREFIX
run="$BENCH_BUILD/tm-work/run"
rm -rf "$run"
mkdir -p "$run"
socket="unix:$run/dataplane.sock"
weft_config a "$prefix" "$run" >"$run/dataplane.json"
bench_rt_control "$SAMPLER_CPU"
if ! bench_start_weft "$logs/weft.log" "$run/dataplane.sock" "$FWD_CPU" "$weft" \
  --config "$run/dataplane.json"; then
  say "traffic manager cost ratio: n/a"
  exit 3
fi
pid=$BENCH_LAST_PID
"$loader" --socket "$socket" --port Ethernet4 --neighbors "$NEIGHBORS" \
  --routes "$work/a/routes_v4.txt" | sed 's/^/install: /'
tmcfg() { WEFT_BUILD=$BENCH_BUILD "$BENCH_PY" "$BENCH_ROOT/bench/tm/tm_config.py" --socket "$socket" "$1"; }

record off1 "traffic manager off" "$(weft_rate "$prefix" "$socket")"
tmcfg on
record on "traffic manager on (8 queues, WRED, PFC)" "$(weft_rate "$prefix" "$socket")"
"$loader" --socket "$socket" --port Ethernet4 --counters | sed 's/^/counters: /' | grep -i "tm_\|drop" | head -5 || true
tmcfg off
record off2 "traffic manager off (again)" "$(weft_rate "$prefix" "$socket")"
bench_stop "$pid"

best_off=$(bench_calc "max(${RATE[off1]}, ${RATE[off2]})")
say "traffic manager off: ${RATE[off1]} / ${RATE[off2]} Mpps, on: ${RATE[on]} Mpps (best 1 s windows; medians ${MEDIAN[off1]} / ${MEDIAN[off2]} / ${MEDIAN[on]})"
say "traffic manager cost ratio: $(bench_calc "'%.3f' % (${RATE[on]} / $best_off)")"
