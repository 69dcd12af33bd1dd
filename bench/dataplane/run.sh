#!/usr/bin/env bash
# scripts/bench dataplane: weft-dataplane against DPDK's own l3fwd on the same in-memory harness,
# in the same run: net_pcap (infinite_rx) in, net_null out, one forwarding lcore on CPU 1, the
# samplers on CPU 0, each program alone.
#   case a: 1k routes, 4k flows      peer: l3fwd --lookup=lpm
#   case b: ~1M routes (Internet-like prefix-length mix), 128k flows   peer: l3fwd --lookup=fib
# Weft runs each case with single next hops (the work l3fwd does), then 2- and 4-way ECMP groups.
# Rates: tx packets/s of the net_null port, best 1 s window after warm-up (other engineers' jobs
# share the cores and can only lower a window), median shown beside it; l3fwd runs before and
# after Weft and its best run counts. The forwarding thread of each program runs SCHED_FIFO on
# CPU 1 (bench_realtime), and timed route installation (weft's control threads, the API client,
# the kernel's ip -batch) runs at nice -20 on CPU 0; RT=0 turns both off.
# The last line is `dataplane/l3fwd throughput ratio: R`, R the lower single-next-hop ratio.
# Environment: WARMUP (s, 2), WINDOW (1 s windows, 5), CASES ("a b"), ROUTES_B (1000000),
# FLOWS_B (131072), NEIGHBORS (8), ECMP_GROUPS (64), WEFT_BENCH_BUILD (build dir, build-bench),
# WEFT_DATAPLANE (another weft-dataplane binary, e.g. a branch's; the output says so), PROFILE, RT.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"

WARMUP=${WARMUP:-2}
WINDOW=${WINDOW:-5}
CASES=${CASES:-a b}
ROUTES_B=${ROUTES_B:-1000000}
FLOWS_B=${FLOWS_B:-131072}
NEIGHBORS=${NEIGHBORS:-8}
ECMP_GROUPS=${ECMP_GROUPS:-64}
FWD_CPU=1     # the forwarding lcore of both programs
SAMPLER_CPU=0
EAL_MEM_MB=4096  # 256k mbufs of l3fwd; weft: 128k x ~9.5 KB jumbo mbufs, two 1M-route FIBs

work="$BENCH_BUILD/dataplane-work"
logs="$work/logs"
mkdir -p "$logs"
declare -A RATE MEDIAN
weft_missing=""
install_line=""
kernel_line=""

# ---------------------------------------------------------------------------------------------
note "dependencies and builds"
[[ -x $BENCH_ROOT/scripts/install-deps ]] && "$BENCH_ROOT/scripts/install-deps"
# What only the benchmark needs: perf for the profiles (addr2line and nm come with binutils).
for pkg in linux-perf binutils; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" && continue
  say "installing $pkg"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null ||
    say "warning: could not install $pkg; profiles will be skipped"
done
# -O3 without assertions, plus debug info (same code) so perf can attribute the worker's samples to
# the pipeline stage headers they were inlined from.
bench_options=(-Doptimization=3 -Ddebug=true -Db_ndebug=true -Dtests=false)
if [[ ! -f $BENCH_BUILD/build.ninja ]]; then
  meson setup "$BENCH_BUILD" "$BENCH_ROOT" "${bench_options[@]}" >"$logs/meson.log" 2>&1 ||
    { cat "$logs/meson.log"; exit 1; }
else
  meson configure "$BENCH_BUILD" "${bench_options[@]}" >"$logs/meson.log" 2>&1 ||
    { cat "$logs/meson.log"; exit 1; }
fi
weft=${WEFT_DATAPLANE:-$BENCH_BUILD/dataplane/weft-dataplane}
[[ -n ${WEFT_DATAPLANE:-} ]] && say "NOTE: weft-dataplane from WEFT_DATAPLANE=$WEFT_DATAPLANE, not this tree's build"
loader="$BENCH_BUILD/bench/weft-bench-routes"
counter_rate="$BENCH_BUILD/bench/weft-bench-rate"
if ! nice ninja -C "$BENCH_BUILD" -j2 dataplane/weft-dataplane bench/weft-bench-routes \
    bench/weft-bench-rate >"$logs/ninja.log" 2>&1; then
  weft_missing="weft-dataplane does not build (see $logs/ninja.log)"
elif "$weft" --config /nonexistent/weft-bench.json >/dev/null 2>&1; then
  # A real weft-dataplane refuses a missing config file; the skeleton's stub accepts anything.
  weft_missing="weft-dataplane is still the skeleton's stub (it accepts a missing config)"
fi
[[ -n $weft_missing ]] && say "WEFT SIDE MISSING: $weft_missing"

# l3fwd gets the -march weft-dataplane's objects really get (the last one on their command line:
# DPDK's pkg-config flags come after the project's), so the two compare like for like.
march=$(grep -m1 '"command": ".*libweft_dataplane\.a\.p' "$BENCH_BUILD/compile_commands.json" |
  grep -o -- '-march=[^ ]*' | tail -1 | cut -d= -f2 || true)
l3fwd=$("$BENCH_ROOT/bench/l3fwd/build.sh" "$BENCH_BUILD/peer" "$march" | tail -1)
say "l3fwd peer: $l3fwd (patched copy of /usr/share/dpdk/examples/l3fwd, -march=${march:-corei7})"

# ---------------------------------------------------------------------------------------------
# workload DIR ROUTES FLOWS: generated once per (generator, parameters), reused afterwards.
workload() {
  local dir=$1 routes=$2 flows=$3 stamp
  stamp="$dir/.done-$routes-$flows-$(md5sum "$BENCH_ROOT/bench/gen/gen_workload.py" | cut -c1-8)"
  if [[ ! -f $stamp ]]; then
    rm -rf "$dir"
    "$BENCH_PY" "$BENCH_ROOT/bench/gen/gen_workload.py" --routes "$routes" --flows "$flows" "$dir"
    touch "$stamp"
  fi
}

# sample_telemetry PREFIX: rate of a DPDK process through its telemetry socket.
sample_telemetry() {
  taskset -c "$SAMPLER_CPU" "$BENCH_PY" "$BENCH_ROOT/bench/lib/ethdev_rate.py" --file-prefix "$1" \
    --tx-port net_null --rx-port net_pcap --warmup "$WARMUP" --window "$WINDOW" --start-timeout 120
}

# record KEY LABEL LINE: keeps a sampler's figures (the best, when KEY was measured before) and
# prints them with their peer.
record() {
  local key=$1 label=$2 line=$3 rate median
  rate=$(sed -n 's/.*mpps=\([0-9.]*\) median.*/\1/p' <<<"$line")
  median=$(sed -n 's/.*median=\([0-9.]*\).*/\1/p' <<<"$line")
  printf '%-44s %8s Mpps   (median %s; %s)\n' "$label" "$rate" "$median" "$line"
  if [[ -z ${RATE[$key]:-} ]] || [[ $(bench_calc "$rate > ${RATE[$key]}") == True ]]; then
    RATE[$key]=$rate
    MEDIAN[$key]=$median
  fi
}

# profile LABEL BINARY_NAME BINARY_PATH: where the forwarding core's time goes (perf, cpu-clock
# samples on FWD_CPU for 3 s: VMs here have no hardware counters).
profile() {
  [[ ${PROFILE:-1} == 1 ]] && command -v perf >/dev/null || return 0
  local data="$logs/perf-${1// /_}.data"
  perf record -q -e cpu-clock -F 1999 -C "$FWD_CPU" -o "$data" -- sleep 3 >/dev/null 2>&1 || return 0
  profile_report "$1" "$2" "$3" "$data"
}

# profile_report LABEL BINARY_NAME BINARY_PATH DATA: the samples per shared object, then the
# program's own functions and source files (its inlined pipeline stages). Stripped DPDK libraries
# show as a whole (pcap rx, fib lookup, null tx, mempool).
profile_report() {
  local label=$1 binary=$2 data=$4
  printf '%-44s %s\n' "$label profile" "$(perf report -i "$data" --stdio --no-children \
    --sort dso --percent-limit 1 2>/dev/null | awk '/%/ && !/^#/ {printf "%s %s  ", $2, $1}')"
  printf '%-44s %s\n' "  $binary functions" "$(perf report -i "$data" --stdio --no-children \
    --dsos "$binary" --sort sym --percent-limit 1 2>/dev/null |
    awk '/%/ && !/^#/ && n < 12 {p = $1; $1 = $2 = ""; sub(/^ +/, ""); gsub(/weft::dp::|\(anonymous namespace\)::/, ""); gsub(/\([^()]*\)/, "()");
                        printf "%s %s | ", $0, p; n++}')"
  printf '%-44s %s\n' "  $binary by source file" \
    "$("$BENCH_PY" "$BENCH_ROOT/bench/lib/perf_stages.py" "$data" "$3" 2>&1)"
}

run_testpmd() {  # harness ceiling: testpmd io between the same two ports
  local c=$1 prefix
  bench_prefix "testpmd-$c"
  prefix=$BENCH_PREFIX
  bench_start "$logs/testpmd-$c.log" dpdk-testpmd -l "$SAMPLER_CPU,$FWD_CPU" -n 1 --no-huge \
    -m "$EAL_MEM_MB" --no-pci --file-prefix "$prefix" --log-level=error \
    --vdev "net_pcap0,rx_pcap=$work/$c/flows.pcap,infinite_rx=1" --vdev net_null0,no-rx=1 \
    -- --forward-mode=io --auto-start --total-num-mbufs=262144 --no-mlockall --stats-period 600
  local pid=$BENCH_LAST_PID line
  bench_realtime "$pid" "$FWD_CPU"
  line=$(sample_telemetry "$prefix") || { bench_stop "$pid"; tail "$logs/testpmd-$c.log"; return 1; }
  bench_stop "$pid" INT
  record "$c.harness" "case $c  harness ceiling (testpmd io)" "$line"
}

run_l3fwd() {  # run_l3fwd CASE LOOKUP [again]
  local c=$1 lookup=$2 again=${3:-} prefix
  bench_prefix "l3fwd-$c"
  prefix=$BENCH_PREFIX
  bench_start "$logs/l3fwd-$c.log" "$l3fwd" -l "$FWD_CPU" -n 1 --no-huge -m "$EAL_MEM_MB" --no-pci \
    --file-prefix "$prefix" --log-level=error \
    --vdev "net_pcap0,rx_pcap=$work/$c/flows.pcap,infinite_rx=1" --vdev net_null0,no-rx=1 \
    -- -p 0x3 --config="(0,0,$FWD_CPU)" --lookup="$lookup" --parse-ptype \
    --rule_ipv4="$work/$c/l3fwd_v4.cfg" --rule_ipv6="$work/$c/l3fwd_v6.cfg"
  local pid=$BENCH_LAST_PID line
  bench_realtime "$pid" "$FWD_CPU"
  line=$(sample_telemetry "$prefix") || { bench_stop "$pid"; tail "$logs/l3fwd-$c.log"; return 1; }
  record "$c.l3fwd" "case $c  l3fwd --lookup=$lookup${again:+ (again)}" "$line"
  [[ -n $again ]] || profile "case $c  l3fwd" "$(basename "$(readlink -f "$l3fwd")")" "$(readlink -f "$l3fwd")"
  bench_stop "$pid" INT
}

# The kernel's route installation, the peer of the Dataplane API install time: the same prefixes
# over the same 8 next hops, `ip -batch` into a namespace made for it (a veth as the interface).
run_kernel_install() {
  local c=$1 ns batch start n secs
  bench_netns "kroutes-$c"
  ns=$BENCH_NS
  ip -n "$ns" link add k0 type veth peer name k1
  ip -n "$ns" link set k0 up
  ip -n "$ns" link set k1 up
  ip -n "$ns" addr add 10.255.0.254/16 dev k0
  batch="$work/$c/kernel_routes.batch"
  awk -v n="$NEIGHBORS" '{printf "route add %s via 10.255.0.%d dev k0\n", $1, (NR - 1) % n + 1}' \
    "$work/$c/routes_v4.txt" >"$batch"
  start=$(date +%s.%N)
  bench_rt_control "$SAMPLER_CPU"
  "${BENCH_RT_CONTROL[@]}" ip -n "$ns" -batch "$batch"
  secs=$(bench_calc "$(date +%s.%N) - $start")
  n=$(ip -n "$ns" route show | grep -c ' via ')
  ip netns del "$ns"
  kernel_line="kernel ip -batch (netns): routes=$n seconds=$(bench_calc "'%.3f' % $secs") routes_per_s=$(bench_calc "'%.0f' % ($n / $secs)")"
  printf '%-44s %s\n' "case $c  route install, peer" "$kernel_line"
}

source "$BENCH_ROOT/bench/dataplane/weft_side.sh"

# ---------------------------------------------------------------------------------------------
for c in $CASES; do
  case $c in
    a) workload "$work/a" 1000 4096; desc="1k routes, 4k flows"; lookup=lpm ;;
    b) workload "$work/b" "$ROUTES_B" "$FLOWS_B"; desc="$ROUTES_B routes, $FLOWS_B flows"; lookup=fib ;;
    *) say "unknown case '$c' (cases: a b)"; exit 2 ;;
  esac
  note "case $c: $desc"
  run_testpmd "$c"
  run_l3fwd "$c" "$lookup"
  [[ $c == b ]] && run_kernel_install "$c"
  if [[ -z $weft_missing ]]; then
    run_weft "$c" || weft_missing="weft-dataplane failed in case $c: $(grep -m1 -i 'failed\|error' \
      "$logs/weft-$c.log" || echo "see $logs/weft-$c.log")"
    grep -q "Not enough mbufs" "$logs/weft-$c.log" 2>/dev/null && weft_missing+=" -- its mbuf pool for \
Ethernet0 is smaller than the pcap (net_pcap infinite_rx keeps one mbuf per packet of the file)"
    # The peer again after Weft: the load others put on this machine drifts; best of both counts.
    run_l3fwd "$c" "$lookup" again
  fi
done

# ---------------------------------------------------------------------------------------------
note "summary (Mpps = million 64-byte packets/s forwarded to net_null, one lcore)"
for c in $CASES; do
  for k in harness l3fwd weft1 weft2 weft4; do
    [[ -n ${RATE[$c.$k]:-} ]] || continue
    case $k in
      harness) label="harness ceiling (testpmd io)" ;; l3fwd) label="DPDK l3fwd" ;;
      weft1) label="weft-dataplane, single next hop" ;;
      weft2) label="weft-dataplane, 2-way ECMP" ;; weft4) label="weft-dataplane, 4-way ECMP" ;;
    esac
    extra=""
    if [[ $k == weft1 && -n ${RATE[$c.l3fwd]:-} ]]; then
      extra="ratio to l3fwd $(bench_calc "'%.3f' % (${RATE[$c.weft1]} / ${RATE[$c.l3fwd]})")"
    elif [[ $k == weft[24] && -n ${RATE[$c.weft1]:-} ]]; then
      extra="ECMP cost vs single next hop: $(bench_calc "'%+.1f%%' % ((${RATE[$c.weft1]} / ${RATE[$c.$k]} - 1) * 100)") time per packet"
    fi
    printf 'case %s  %-34s %8s Mpps (median %6s)  %s\n' "$c" "$label" "${RATE[$c.$k]}" \
      "${MEDIAN[$c.$k]}" "$extra"
  done
done
[[ -n ${WEFT_DATAPLANE:-} ]] && say "NOTE: weft-dataplane was $WEFT_DATAPLANE, not this tree's build"
[[ -n $install_line ]] && say "$install_line"
[[ -n $kernel_line ]] && say "$ROUTES_B-route install, peer: $kernel_line"
if [[ -n $weft_missing ]]; then
  say "WEFT SIDE MISSING: $weft_missing; only the peer was measured."
  say "dataplane/l3fwd throughput ratio: n/a"
  exit 3
fi
ratios=()
for c in $CASES; do ratios+=("${RATE[$c.weft1]} / ${RATE[$c.l3fwd]}"); done
say "dataplane/l3fwd throughput ratio: $(bench_calc "'%.3f' % min([$(IFS=,; echo "${ratios[*]}")])")"
