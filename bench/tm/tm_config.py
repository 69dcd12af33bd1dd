#!/usr/bin/python3
"""Turns the traffic manager of the bench switch on (every queue configured) or off, through the
Dataplane API. Used by bench/tm/run.sh; stubs come from tests/integration/lib/api.py (generated
into $WEFT_BUILD/pyproto)."""
import argparse
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "tests" / "integration"))
from lib import api  # noqa: E402


def on_request():
    """Ethernet4 (egress) at unlimited rate, all 8 queues configured: 6 DWRR with weights, 2 strict,
    WRED/ECN on every queue (thresholds above what a queue reaches here, so the curve is evaluated
    for every packet), PFC on priorities 3 and 4 (obeyed on egress, generated on ingress), the
    watchdog on. Ethernet0 (ingress) too, so its PFC generation is polled every loop."""
    dp = api.dp
    ports = []
    for name in ("Ethernet4", "Ethernet0"):
        p = dp.PortTrafficManager(port=name, enabled=True)
        p.shaper.unshaped_rate_bps = 10_000_000_000  # pause quanta and headroom at 10 Gb/s
        for tc in range(8):
            q = p.queues.add()
            q.scheduling = dp.TM_SCHEDULING_STRICT if tc >= 6 else dp.TM_SCHEDULING_DWRR
            q.dwrr_weight = tc + 1
            q.wred.CopyFrom(dp.TmWred(enabled=True, kmin_bytes=1 << 20, kmax_bytes=2 << 20,
                                      pmax=0.1))
        for prio in range(8):
            p.priorities.add(enabled=prio in (3, 4))
        ports.append(p)
    return dp.SetTrafficManagerRequest(ports=ports, buffer=dp.TmBuffer(pool_bytes=64 << 20))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket", required=True)
    ap.add_argument("state", choices=["on", "off"])
    args = ap.parse_args()
    c = api.DataplaneClient(args.socket)
    req = on_request() if args.state == "on" else api.dp.SetTrafficManagerRequest()
    c.tm.SetTrafficManager(req, timeout=30)
    if args.state == "on":
        got = c.tm.GetTrafficManagerCounters(api.dp.GetTrafficManagerCountersRequest(
            ports=["Ethernet4"]), timeout=10).ports[0]
        print(f"traffic manager on: Ethernet4 enabled={got.enabled}")
    else:
        print("traffic manager off")
    c.close()


if __name__ == "__main__":
    main()
