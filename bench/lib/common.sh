# Shared helpers of the benchmark cases (sourced by bench/<case>/run.sh).
# Background processes are started in their own session and recorded, so the EXIT trap can end
# exactly those (by process group id) even when a step fails.

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH_BUILD=${WEFT_BENCH_BUILD:-$BENCH_ROOT/build-bench}
BENCH_PY=/usr/bin/python3  # pyenv's python3 on PATH cannot import Debian's packages
BENCH_PIDS=()
BENCH_PREFIXES=()

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

# A DPDK --file-prefix unique to this run; its runtime directory is removed at exit.
bench_prefix() {
  local p="weftbench-$$-$1"
  BENCH_PREFIXES+=("$p")
  printf '%s' "$p"
}

bench_cleanup() {
  local pid p
  for pid in "${BENCH_PIDS[@]}"; do bench_stop "$pid"; done
  for p in "${BENCH_PREFIXES[@]}"; do rm -rf "/var/run/dpdk/$p"; done
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# Float arithmetic for the summary: bench_calc EXPR (python syntax), prints the value.
bench_calc() { "$BENCH_PY" -c "print($1)"; }
