# shellcheck shell=bash
# Shared helpers of the benchmark cases (sourced by bench/<case>/run.sh).
# Background processes are started in their own session and recorded, so the EXIT trap can end
# exactly those (by process group id) even when a step fails; namespaces likewise.

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH_BUILD=${WEFT_BENCH_BUILD:-$BENCH_ROOT/build-bench}
BENCH_PY=/usr/bin/python3  # pyenv's python3 on PATH cannot import Debian's packages
BENCH_PIDS=()
BENCH_PREFIXES=()
BENCH_NETNS=()

say() { printf '%s\n' "$*"; }
note() { printf '== %s\n' "$*"; }

# bench_start LOG CMD...: runs CMD in a new session, output to LOG; sets BENCH_LAST_PID.
bench_start() {
  local log=$1
  shift
  setsid "$@" >"$log" 2>&1 </dev/null &
  BENCH_LAST_PID=$!
  BENCH_PIDS+=("$BENCH_LAST_PID")
}

# bench_stop PID [SIGNAL]: signals the process group and waits up to 15 s, then kills it.
bench_stop() {
  local pid=$1 sig=${2:-TERM} i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -"$sig" -- "-$pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL -- "-$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}

# bench_prefix NAME: sets BENCH_PREFIX to a DPDK --file-prefix unique to this run; its runtime
# directory is removed at exit. (Not meant for $(...): the record must stay in this shell.)
bench_prefix() {
  BENCH_PREFIX="weftbench-$$-$1"
  BENCH_PREFIXES+=("$BENCH_PREFIX")
}

bench_cleanup() {
  local pid p ns
  for pid in "${BENCH_PIDS[@]}"; do bench_stop "$pid"; done
  for p in "${BENCH_PREFIXES[@]}"; do rm -rf "/var/run/dpdk/$p"; done
  for ns in "${BENCH_NETNS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# Float arithmetic for the summary: bench_calc EXPR (python syntax), prints the value.
bench_calc() { "$BENCH_PY" -c "print($1)"; }

# bench_realtime PID CPU: gives SCHED_FIFO priority 1 to the threads of PID pinned to exactly CPU
# (the forwarding lcore), so the compile jobs of the people sharing this machine cannot time-slice
# it; other threads keep their normal priority. RT throttling (95%) still applies. Waits up to
# 30 s for the lcore thread to appear. RT=0 turns it off.
bench_realtime() {
  local pid=$1 cpu=$2 i t n=0
  [[ ${RT:-1} == 1 ]] || return 0
  for ((i = 0; i < 300; i++)); do
    for t in /proc/"$pid"/task/*; do
      t=${t##*/}
      [[ $(taskset -cp "$t" 2>/dev/null | sed 's/.*: //') == "$cpu" ]] || continue
      chrt -f -p 1 "$t" && n=$((n + 1))
    done
    ((n > 0)) && return 0
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  say "warning: no thread of $pid pinned to CPU $cpu; measuring without real-time priority"
}

# bench_netns NAME: makes a network namespace for this run, named in BENCH_NS; deleted at exit.
bench_netns() {
  BENCH_NS="weftbench-$$-$1"
  BENCH_NETNS+=("$BENCH_NS")
  ip netns add "$BENCH_NS"
}

# bench_rt_control CPU: command prefix (BENCH_RT_CONTROL) for control work that is timed (route
# installation: the API server, its client, the kernel's ip -batch): on CPU at nice -20, so the
# figure is the program's, not the share of the CPU left by others' compile jobs. Not SCHED_FIFO:
# a real-time thread that spins for another thread of the same CPU (EAL start-up does) never lets
# it run. Only the CPU pinning when RT=0.
bench_rt_control() {
  BENCH_RT_CONTROL=(taskset -c "$1")
  [[ ${RT:-1} == 1 ]] && BENCH_RT_CONTROL=(nice -n -20 taskset -c "$1")
  return 0
}

# bench_start_weft LOG SOCKET_PATH FWD_CPU COMMAND...: starts weft-dataplane under the control
# CPU settings of bench_rt_control, makes its forwarding thread real-time on FWD_CPU and waits up
# to 60 s for its API socket. Sets BENCH_LAST_PID; returns 1, with the log's tail, if it never
# serves.
bench_start_weft() {
  local log=$1 sock=$2 cpu=$3 i
  shift 3
  bench_start "$log" "${BENCH_RT_CONTROL[@]}" "$@"
  bench_realtime "$BENCH_LAST_PID" "$cpu"
  for ((i = 0; i < 600; i++)); do
    [[ -S $sock ]] && return 0
    kill -0 "$BENCH_LAST_PID" 2>/dev/null || break
    sleep 0.1
  done
  [[ -S $sock ]] && return 0
  say "weft-dataplane did not serve its API (log $log):"
  tail -5 "$log"
  return 1
}
