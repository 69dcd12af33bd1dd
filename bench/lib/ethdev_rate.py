#!/usr/bin/python3
"""Measures a DPDK process's forwarding rate through its telemetry socket (/ethdev/stats), the
same way for l3fwd and weft-dataplane, so the ratio compares like with like.

Waits until the egress port (found by driver-name prefix, e.g. net_null) transmits, lets it warm
up, then reads tx packets once a second for WINDOW seconds. Prints one line:
  mpps=<best 1 s window> median=<median 1 s window> rx_mpps=<ingress median> tx_total=<packets>
The best window is the figure: other engineers' jobs share the two cores and can only lower a
window, never raise it. The median shows how noisy the run was.
Exit status 1 with a message if the process never forwards within --start-timeout.
"""
import argparse
import json
import os
import socket
import statistics
import sys
import time


class Telemetry:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.connect(path)
        hello = json.loads(self.sock.recv(16384).decode())
        self.max_len = int(hello.get("max_output_len", 16384))

    def query(self, cmd):
        self.sock.send(cmd.encode())
        reply = json.loads(self.sock.recv(self.max_len).decode())
        return reply[cmd.split(",")[0]]


def find_port(tel, name_prefix):
    for port in tel.query("/ethdev/list") or []:
        info = tel.query("/ethdev/info,%d" % port)
        if info and info.get("name", "").startswith(name_prefix):
            return port
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--file-prefix", required=True, help="the process's EAL --file-prefix")
    ap.add_argument("--tx-port", default="net_null", help="egress ethdev name prefix")
    ap.add_argument("--rx-port", default="net_pcap", help="ingress ethdev name prefix")
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--window", type=int, default=5, help="seconds sampled (1 s windows)")
    ap.add_argument("--start-timeout", type=float, default=120.0)
    args = ap.parse_args()

    path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % args.file_prefix
    deadline = time.monotonic() + args.start_timeout
    tel = None
    tx = rx = None
    while time.monotonic() < deadline:
        try:
            if tel is None and os.path.exists(path):
                tel = Telemetry(path)
            if tel is not None:
                tx = tx if tx is not None else find_port(tel, args.tx_port)
                rx = rx if rx is not None else find_port(tel, args.rx_port)
                if tx is not None and tel.query("/ethdev/stats,%d" % tx)["opackets"] > 0:
                    break
        except (OSError, ValueError, KeyError, TypeError):
            tel = None  # the process is still starting (socket not accepting yet)
        time.sleep(0.2)
    else:
        sys.exit("no packets transmitted on %s within %.0f s (telemetry %s)"
                 % (args.tx_port, args.start_timeout, path))

    time.sleep(args.warmup)

    def sample():
        t = time.monotonic()
        out = tel.query("/ethdev/stats,%d" % tx)["opackets"]
        inp = tel.query("/ethdev/stats,%d" % rx)["ipackets"] if rx is not None else 0
        return t, out, inp

    tx_rates, rx_rates = [], []
    prev = sample()
    for _ in range(args.window):
        time.sleep(1.0)
        cur = sample()
        dt = cur[0] - prev[0]
        tx_rates.append((cur[1] - prev[1]) / dt / 1e6)
        rx_rates.append((cur[2] - prev[2]) / dt / 1e6)
        prev = cur
    print("mpps=%.2f median=%.2f rx_mpps=%.2f tx_total=%d"
          % (max(tx_rates), statistics.median(tx_rates), statistics.median(rx_rates), prev[1]))


if __name__ == "__main__":
    main()
