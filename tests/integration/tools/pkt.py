#!/usr/bin/python3
"""Packet generator and counter for integration tests, run inside a namespace.

  pkt.py send IFACE --dst-mac M --src IP --dst IP [--flows N] [--count N] [--ttl T] [--size B]
                    [--malformed KIND] [--dport P] [--tos TOS] [--pps R [--seconds S]]
                    [--burst B] [--flow-gap-ms G]
      count rounds; each round sends every flow's frame B times back to back, pausing G ms
      after each flow's burst (flowlets) and --gap-ms after each round.
  pkt.py sniff IFACE --seconds S [--filter BPF]    prints {"count": N, "ttls": [...],
                                                   "first_arp_reply": T, "first_udp": T} as JSON
  pkt.py udp-sink PORT --seconds S                  prints {"count": N} as JSON
Each takes --ready-file PATH (created once it sends, captures or listens); SIGTERM ends any of
them early, and it still prints its result.
Frames are built with scapy and written with a raw AF_PACKET socket (scapy's sendp is too slow
for thousands of packets).
"""
import argparse
import json
import signal
import socket
import sys
import time

from scapy.all import ARP, IP, UDP, Ether, Raw, conf, get_if_hwaddr, sniff  # noqa: E402

conf.verb = 0


def build(args, flow, src_mac):
    sport = args.sport_base + flow % 50000
    payload = b"w" * max(0, args.size - 42)
    ip = IP(src=args.src, dst=args.dst, ttl=args.ttl, tos=args.tos)
    frame = Ether(src=src_mac, dst=args.dst_mac) / ip / UDP(
        sport=sport, dport=args.dport) / Raw(payload)
    raw = bytearray(bytes(frame))
    if args.malformed == "bad-ihl":
        raw[14] = 0x43  # IHL 3 (< 5 words)
    elif args.malformed == "bad-version":
        raw[14] = 0x55
    elif args.malformed == "total-length":
        raw[16:18] = (len(raw) - 14 + 200).to_bytes(2, "big")  # claims more than the frame holds
    elif args.malformed == "truncated":
        raw = raw[:14 + 12]  # IPv4 header cut short
    return bytes(raw)


# SIGTERM ends a send or a sink early; it still prints its count.
stopped = False


def _stop(*_):
    global stopped
    stopped = True


def cmd_send(args):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((args.iface, 0))
    src_mac = get_if_hwaddr(args.iface)
    frames = [build(args, f, src_mac) for f in range(args.flows)]
    if args.ready_file:
        open(args.ready_file, "w").close()
    sent = 0
    start = time.monotonic()
    end = start + args.seconds if args.seconds and args.pps else None
    for i in range(args.count):
        for fr in frames:
            for _ in range(args.burst):
                if args.pps:  # pace: a host burst faster than the switch polls is not the test
                    due = start + sent / args.pps
                    if stopped or (end is not None and due >= end):
                        break
                    if due - time.monotonic() > 200e-6:  # slow streams sleep: two cores are shared
                        time.sleep(max(0.0, due - time.monotonic()))
                    while time.monotonic() < due:
                        pass
                s.send(fr)
                sent += 1
            if args.flow_gap_ms:
                time.sleep(args.flow_gap_ms / 1000)
        if stopped or (end is not None and start + sent / args.pps >= end):
            break
        if args.gap_ms:
            time.sleep(args.gap_ms / 1000)
    print(json.dumps({"sent": sent, "seconds": time.monotonic() - start}))


def cmd_sniff(args):
    ready = (lambda: open(args.ready_file, "w").close()) if args.ready_file else None
    pkts = sniff(iface=args.iface, timeout=args.seconds, filter=args.filter,
                 started_callback=ready)
    ttls = [p[IP].ttl for p in pkts if IP in p]
    # Capture times (wall clock) of the first ARP reply and the first UDP packet, for latencies.
    arp_replies = [float(p.time) for p in pkts if ARP in p and p[ARP].op == 2]
    arp_requests = [float(p.time) for p in pkts if ARP in p and p[ARP].op == 1]
    udp = [float(p.time) for p in pkts if UDP in p]
    print(json.dumps({"count": len(pkts), "ttls": ttls[:100], "udp": len(udp),
                      "arp_requests": len(arp_requests),
                      "first_arp_request": min(arp_requests, default=None),
                      "first_arp_reply": min(arp_replies, default=None),
                      "first_udp": min(udp, default=None)}))


def cmd_udp_sink(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(("0.0.0.0", args.port))
    s.settimeout(0.2)
    if args.ready_file:
        open(args.ready_file, "w").close()
    count = 0
    end = time.monotonic() + args.seconds
    while time.monotonic() < end and not stopped:
        try:
            s.recv(65536)
            count += 1
        except socket.timeout:
            pass
    print(json.dumps({"count": count}))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("send")
    s.add_argument("iface")
    s.add_argument("--dst-mac", required=True)
    s.add_argument("--src", required=True)
    s.add_argument("--dst", required=True)
    s.add_argument("--flows", type=int, default=1)
    s.add_argument("--count", type=int, default=1)
    s.add_argument("--ttl", type=int, default=64)
    s.add_argument("--size", type=int, default=100)
    s.add_argument("--dport", type=int, default=9000)
    s.add_argument("--tos", type=int, default=0, help="IPv4 TOS byte: DSCP << 2 | ECN")
    s.add_argument("--sport-base", type=int, default=10000, help="UDP source port of flow 0")
    s.add_argument("--gap-ms", type=float, default=0)
    s.add_argument("--burst", type=int, default=1, help="packets of one flow back to back")
    s.add_argument("--flow-gap-ms", type=float, default=0, help="pause after each flow's burst")
    s.add_argument("--pps", type=float, default=0, help="packets per second; 0 = as fast as possible")
    s.add_argument("--seconds", type=float, default=0, help="stop after this long (with --pps)")
    s.add_argument("--ready-file", help="created when sending starts")
    s.add_argument("--malformed", choices=["bad-ihl", "bad-version", "total-length", "truncated"])
    s.set_defaults(fn=cmd_send)
    n = sub.add_parser("sniff")
    n.add_argument("iface")
    n.add_argument("--seconds", type=float, default=2)
    n.add_argument("--filter")
    n.add_argument("--ready-file", help="created once the capture runs")
    n.set_defaults(fn=cmd_sniff)
    u = sub.add_parser("udp-sink")
    u.add_argument("port", type=int)
    u.add_argument("--seconds", type=float, default=3)
    u.add_argument("--ready-file", help="created once the socket is bound")
    u.set_defaults(fn=cmd_udp_sink)
    args = p.parse_args()
    if args.cmd == "sniff":  # scapy's sniff ends cleanly on KeyboardInterrupt
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    else:
        signal.signal(signal.SIGTERM, _stop)
    args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
