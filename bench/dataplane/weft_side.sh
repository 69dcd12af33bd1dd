# shellcheck shell=bash
# The Weft side of `scripts/bench dataplane` (sourced by run.sh): weft-dataplane on the same
# harness as l3fwd, programmed through the Dataplane API by weft-bench-routes.
# Ports: Ethernet0 = net_pcap (infinite_rx) in, Ethernet4 = net_null out (no-rx: weft polls every
# port, and net_null would otherwise feed it zero-filled frames).

# The pcap's destination MAC (bench/gen/gen_workload.py), so Weft accepts the frames as addressed
# to the switch.
WEFT_PORT_MAC_B64="AgAAAAAB"  # 02:00:00:00:00:01

# net_pcap's infinite_rx copies the whole pcap into mbufs of the port's pool at start, then takes
# one more mbuf per packet received: the pool holds the file's packets plus the working set.
weft_pool_size() {  # weft_pool_size PCAP
  local packets
  packets=$(( ($(stat -c %s "$1") - 24) / (16 + 60) ))  # pcap header; record header + 60-byte frame
  echo $(( packets + 4096 ))
}

weft_config() {  # weft_config CASE PREFIX RUN_DIR
  local c=$1 prefix=$2 run=$3
  cat <<EOF
{
  "eal": {"file_prefix": "$prefix", "no_huge": true, "memory_mb": $EAL_MEM_MB,
          "worker_lcores": [$FWD_CPU]},
  "switches": [{
    "name": "bench",
    "api_socket": "unix:$run/dataplane.sock",
    "run_dir": "$run",
    "create_taps": false,
    "ports": [
      {"name": "Ethernet0", "vdev": "net_pcap,rx_pcap=$work/$c/flows.pcap,infinite_rx=1",
       "mac": "$WEFT_PORT_MAC_B64", "mbuf_pool_size": $(weft_pool_size "$work/$c/flows.pcap")},
      {"name": "Ethernet4", "vdev": "net_null,no-rx=1"}
    ]
  }]
}
EOF
}

# weft_rate PREFIX SOCKET: DPDK telemetry when weft-dataplane offers it (the same method as for
# l3fwd), else its own port counters through the Dataplane API.
weft_rate() {
  if [[ -S /var/run/dpdk/$1/dpdk_telemetry.v2 ]]; then
    sample_telemetry "$1"
  else
    taskset -c "$SAMPLER_CPU" "$counter_rate" --socket "$2" --tx-port Ethernet4 --rx-port Ethernet0 \
      --warmup "$WARMUP" --window "$WINDOW" --start-timeout 60 | sed 's/$/ (via Dataplane API counters)/'
  fi
}

run_weft() {
  local c=$1 prefix run socket pid line out i
  bench_prefix "weft-$c"
  prefix=$BENCH_PREFIX
  run="$work/run-$c"
  rm -rf "$run"
  mkdir -p "$run"
  socket="unix:$run/dataplane.sock"
  weft_config "$c" "$prefix" "$run" >"$run/dataplane.json"
  # Main lcore and control threads (API, counters) on the sampler's CPU at nice -20, so that route
  # installation is timed as if alone; the worker on FWD_CPU.
  bench_rt_control "$SAMPLER_CPU"
  if ! bench_start_weft "$logs/weft-$c.log" "$run/dataplane.sock" "$FWD_CPU" "$weft" \
    --config "$run/dataplane.json"; then
    bench_stop "$BENCH_LAST_PID"
    return 1
  fi
  pid=$BENCH_LAST_PID
  local program=("${BENCH_RT_CONTROL[@]}" "$loader" --socket "$socket" --port Ethernet4 --neighbors "$NEIGHBORS")
  local routes="$work/$c/routes_v4.txt"

  # The 1M-route install is also profiled on the control CPU (API server, tables' writer side).
  local install=("${program[@]}" --routes "$routes" --server-pid "$pid")
  local data="$logs/perf-case_${c}_weft_install.data"
  rm -f "$data"
  [[ $c == b && ${PROFILE:-1} == 1 ]] && command -v perf >/dev/null &&
    install=(perf record -q -e cpu-clock -F 999 -C "$SAMPLER_CPU" -o "$data" -- "${install[@]}")
  out=$("${install[@]}") || { bench_stop "$pid"; return 1; }
  say "$out" | sed "s/^/case $c  weft install (single next hops): /"
  [[ -f $data ]] && profile_report "case $c  weft install (CPU $SAMPLER_CPU)" weft-dataplane "$weft" "$data"
  [[ $c == b ]] && install_line="$ROUTES_B-route install through the Dataplane API: $(grep -o 'routes=.*' <<<"$out")"
  line=$(weft_rate "$prefix" "$socket") || { bench_stop "$pid"; return 1; }
  record "$c.weft1" "case $c  weft-dataplane, single next hop" "$line"
  profile "case $c  weft single next hop" weft-dataplane "$weft"

  out=$("${program[@]}" --ways 2 --groups "$ECMP_GROUPS" --routes "$routes") || { bench_stop "$pid"; return 1; }
  say "$out" | sed "s/^/case $c  weft re-point routes to 2-way groups: /"
  line=$(weft_rate "$prefix" "$socket") || { bench_stop "$pid"; return 1; }
  record "$c.weft2" "case $c  weft-dataplane, 2-way ECMP" "$line"
  profile "case $c  weft 2-way ECMP" weft-dataplane "$weft"  # where the ECMP cost goes

  out=$("${program[@]}" --ways 4 --groups "$ECMP_GROUPS") || { bench_stop "$pid"; return 1; }
  say "$out" | sed "s/^/case $c  weft groups to 4 ways: /"
  line=$(weft_rate "$prefix" "$socket") || { bench_stop "$pid"; return 1; }
  record "$c.weft4" "case $c  weft-dataplane, 4-way ECMP" "$line"

  "$loader" --socket "$socket" --port Ethernet4 --counters | sed "s/^/case $c  weft counters: /"
  bench_stop "$pid"
}
