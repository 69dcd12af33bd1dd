#!/bin/bash
# Smoke test of weft-dataplane, run by hand as root:  tests/dataplane/runtime/smoke.sh [BINARY]
# Two net_ring ports under --no-huge (net_null is a packet source: never idle): it starts, the API socket appears, idle CPU is
# measured over 5 s from /proc/PID/stat (must be < 5% of a core), SIGTERM exits 0 and removes the
# socket. Also: an invalid config exits 2 naming the field. Prints the figures; exits non-zero on a
# failed check.
set -u
BIN=${1:-$(dirname "$0")/../../../build/dataplane/weft-dataplane}
WORK=$(mktemp -d /tmp/wt-smoke.XXXXXX)
PID=""
cleanup() {
  [ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$WORK/log" ] && tail -20 "$WORK/log"; exit 1; }

cat > "$WORK/cfg.json" <<JSON
{"eal": {"file_prefix": "wt-smoke-$$", "no_huge": true, "memory_mb": 512},
 "switches": [{"name": "smoke", "run_dir": "$WORK/run",
   "fib_max_ipv4_routes": 100000, "fib_max_ipv6_routes": 10000,
   "ports": [{"name": "Ethernet0", "vdev": "net_ring"},
             {"name": "Ethernet4", "vdev": "net_ring", "mtu": 9000}]}]}
JSON
sed 's/"mtu": 9000/"mtu": 9300/' "$WORK/cfg.json" > "$WORK/bad.json"
out=$("$BIN" --config "$WORK/bad.json" 2>&1); rc=$?
[ $rc -eq 2 ] || fail "invalid config exited $rc, expected 2"
echo "$out" | grep -q 'switches\[0\].ports\[1\].mtu: 9300 exceeds 9216' || fail "message: $out"
echo "invalid config: exit 2, '$out'"

"$BIN" --config "$WORK/cfg.json" > "$WORK/log" 2>&1 &
PID=$!
for _ in $(seq 100); do [ -S "$WORK/run/dataplane.sock" ] && break; sleep 0.1; done
[ -S "$WORK/run/dataplane.sock" ] || fail "API socket did not appear"
kill -0 $PID 2>/dev/null || fail "weft-dataplane exited"
echo "API socket: $WORK/run/dataplane.sock"
sleep 1
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)
t0=$(ticks $PID); s0=$(date +%s.%N)
sleep 5
t1=$(ticks $PID); s1=$(date +%s.%N)
pct=$(awk -v a="$t0" -v b="$t1" -v hz="$HZ" -v s0="$s0" -v s1="$s1" \
  'BEGIN { printf "%.2f", 100 * (b - a) / hz / (s1 - s0) }')
echo "idle CPU over 5 s: ${pct}% of a core"
awk -v p="$pct" 'BEGIN { exit !(p < 5) }' || fail "idle CPU ${pct}% >= 5%"

kill -TERM $PID
for _ in $(seq 100); do kill -0 $PID 2>/dev/null || break; sleep 0.1; done
wait $PID; rc=$?; PID=""
[ $rc -eq 0 ] || fail "SIGTERM exit code $rc"
[ -e "$WORK/run/dataplane.sock" ] && fail "API socket left behind"
echo "SIGTERM: exit 0, socket removed"
echo "smoke: PASS"
