#!/usr/bin/env bash
# scripts/bench fpm: FPM ingest. A generator replays an Internet-like table (IPV4 + IPV6 routes,
# default 1M + 100k) to weftd's FPM port the way zebra sends it (one netlink message per frame),
# in each encoding (next-hop groups, inline multipath); measured is the time until all routes are
# in weft-dataplane's FIB (its GetCounters), as routes/s. Peers in the same run: the Linux kernel
# installing the same table with `ip -batch` in a namespace, and the same table written straight
# through the Dataplane API in 64k batches (the ceiling for any controller).
# Last line: `fpm ingest: N routes/s, kernel: M routes/s, ratio: R` (N: the slower encoding).
# weftd echoes every installed route back over FPM with RTM_F_OFFLOAD; the generator reads them as
# zebra would and prints how many arrived.
# Environment: IPV4, IPV6, ENCODINGS ("nhg inline"), WEFT_BENCH_BUILD (build dir, build-bench),
# TBL8_V4, TBL8_V6 (FIB tbl8 groups per copy).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${WEFT_BENCH_BUILD:-$root/build-bench}
IPV4=${IPV4:-1000000}
IPV6=${IPV6:-100000}
ENCODINGS=${ENCODINGS:-nhg inline}
total=$((IPV4 + IPV6))
# tbl8 groups: IPv4 needs one per /24 holding a longer prefix (~1.5% of the table here). The IPv6
# trie reserves, per route, one group per 8-bit level between the route and its covering route (or
# /24) whether or not a sibling made them already: up to 3 per /48 (with 141k groups for 100k
# routes the table filled at ~50k).
TBL8_V4=${TBL8_V4:-$(( IPV4 / 16 > 16384 ? IPV4 / 16 : 16384 ))}
TBL8_V6=${TBL8_V6:-$(( IPV6 * 3 + 16384 ))}
work=$(mktemp -d /tmp/weft-bench-fpm.XXXXXX)
chmod 755 "$work"
ns_k="weft-bfk-$$"
ns_w="weft-bfw-$$"
pids=()

cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for ns in "$ns_w" "$ns_k"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$work" "/var/run/dpdk/weft-bfw-$$"  # the data plane's DPDK runtime directory
}
trap cleanup EXIT

echo "== build ($build)"
# The options of `scripts/bench dataplane` (same build dir, so neither rebuilds the other's objects)
# with the tests on: the generator lives with them.
bench_options=(-Doptimization=3 -Ddebug=true -Db_ndebug=true -Dtests=true)
if [[ -f $build/build.ninja ]]; then
  meson configure "$build" "${bench_options[@]}" >/dev/null
else
  meson setup "$build" "$root" "${bench_options[@]}" >/dev/null
fi
targets=(controlplane/weftd tests/controlplane/bench/fpm_ingest_bench)
[[ -n ${WEFT_DATAPLANE_BIN:-} ]] || targets+=(dataplane/weft-dataplane)
ninja -C "$build" -j2 "${targets[@]}" >"$work/build.log" 2>&1 || { tail -30 "$work/build.log"; exit 1; }
gen="$build/tests/controlplane/bench/fpm_ingest_bench"
dp_bin=${WEFT_DATAPLANE_BIN:-$build/dataplane/weft-dataplane}
weftd_bin=${WEFTD_BIN:-$build/controlplane/weftd}

echo "== kernel: ip -batch of $IPV4 IPv4 + $IPV6 IPv6 routes"
ip netns add "$ns_k"
ip -n "$ns_k" link set lo up
for i in a b; do
  ip -n "$ns_k" link add "k$i" type veth peer name "k${i}p"
  ip -n "$ns_k" link set "k$i" up
  ip -n "$ns_k" link set "k${i}p" up
done
ip -n "$ns_k" addr add 10.0.0.1/24 dev ka
ip -n "$ns_k" addr add 10.0.1.1/24 dev kb
ip -n "$ns_k" addr add 2001:db8:0:1::1/64 dev ka nodad
ip -n "$ns_k" addr add 2001:db8:0:2::1/64 dev kb nodad
"$gen" ip-batch --ipv4 "$IPV4" --ipv6 "$IPV6" --dev-a ka --dev-b kb >"$work/routes.batch"
t0=$(date +%s.%N)
ip -n "$ns_k" -batch "$work/routes.batch"
t1=$(date +%s.%N)
kernel_rate=$(awk -v n="$total" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
echo "kernel ip -batch: $total routes in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}') s: $kernel_rate routes/s"
ip netns del "$ns_k"

# A fresh switch per run: weft-dataplane (net_ring ports, TAP twins) + weftd in their namespace.
start_switch() {
  ip netns add "$ns_w"
  ip -n "$ns_w" link set lo up
  cat >"$work/dp.json" <<JSON
{"eal": {"file_prefix": "weft-bfw-$$", "no_huge": true, "memory_mb": 6144},
 "switches": [{"name": "bench", "run_dir": "$work/run", "create_taps": true,
   "fib_max_ipv4_routes": $((IPV4 + 100000)), "fib_max_ipv6_routes": $((IPV6 + 10000)),
   "fib_ipv4_tbl8_groups": $TBL8_V4, "fib_ipv6_tbl8_groups": $TBL8_V6,
   "ports": [{"name": "Ethernet0", "vdev": "net_ring"}, {"name": "Ethernet4", "vdev": "net_ring"}]}]}
JSON
  ip netns exec "$ns_w" "$dp_bin" --config "$work/dp.json" >"$work/dp.log" 2>&1 &
  pids+=($!)
  disown
  for _ in $(seq 300); do [[ -S $work/run/dataplane.sock ]] && break; sleep 0.1; done
  [[ -S $work/run/dataplane.sock ]] || { tail "$work/dp.log"; exit 1; }
  for _ in $(seq 50); do ip -n "$ns_w" link show Ethernet4 >/dev/null 2>&1 && break; sleep 0.1; done
  ip -n "$ns_w" addr add 10.0.0.1/24 dev Ethernet0
  ip -n "$ns_w" addr add 10.0.1.1/24 dev Ethernet4
  ip -n "$ns_w" addr add 2001:db8:0:1::1/64 dev Ethernet0 nodad
  ip -n "$ns_w" addr add 2001:db8:0:2::1/64 dev Ethernet4 nodad
}
stop_switch() {
  local victims
  victims=$(ip netns pids "$ns_w" 2>/dev/null || true)
  for p in $victims; do kill -9 "$p" 2>/dev/null || true; done
  # A killed weft-dataplane takes a while to unmap gigabytes; the next one (same file prefix) fails
  # "Cannot init memzone" until it has gone.
  for _ in $(seq 100); do
    local alive=0
    for p in $victims; do kill -0 "$p" 2>/dev/null && alive=1; done
    [[ $alive == 0 ]] && break
    sleep 0.2
  done
  ip netns del "$ns_w" 2>/dev/null || true
  rm -rf "$work/run"
}

fpm_port=$((20000 + $$ % 20000))
declare -A rate
for enc in $ENCODINGS; do
  echo "== weftd: FPM ingest, encoding $enc"
  start_switch
  cat >"$work/weftd.textproto" <<EOF2
dataplane_address: "unix:$work/run/dataplane.sock"
management_address: "unix:$work/weftd.sock"
fpm { port: $fpm_port }
EOF2
  ip netns exec "$ns_w" "$weftd_bin" --config "$work/weftd.textproto" >"$work/weftd-$enc.log" 2>&1 &
  pids+=($!)
  disown
  sleep 1
  oif_a=$(ip netns exec "$ns_w" cat /sys/class/net/Ethernet0/ifindex)
  oif_b=$(ip netns exec "$ns_w" cat /sys/class/net/Ethernet4/ifindex)
  out=$(ip netns exec "$ns_w" "$gen" routes --ipv4 "$IPV4" --ipv6 "$IPV6" --encoding "$enc" \
    --fpm-port "$fpm_port" --dataplane "unix:$work/run/dataplane.sock" \
    --oif-a "$oif_a" --oif-b "$oif_b") || { echo "$out"; tail "$work/weftd-$enc.log"; exit 1; }
  echo "$out"
  rate[$enc]=$(echo "$out" | sed -n 's/.*: \([0-9]*\) routes\/s$/\1/p')
  stop_switch
done

echo "== ceiling: the same table straight through the Dataplane API"
start_switch
ip netns exec "$ns_w" "$gen" direct --ipv4 "$IPV4" --ipv6 "$IPV6" \
  --dataplane "unix:$work/run/dataplane.sock" || true
stop_switch

slowest=$(for e in $ENCODINGS; do echo "${rate[$e]}"; done | sort -n | head -1)
echo "fpm ingest: $slowest routes/s, kernel: $kernel_rate routes/s, ratio: $(awk -v a="$slowest" -v b="$kernel_rate" 'BEGIN { printf "%.2f", a / b }')"
