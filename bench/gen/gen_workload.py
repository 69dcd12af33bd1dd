#!/usr/bin/python3
"""Generates one benchmark workload: an IPv4 route set and a pcap of 64-byte UDP packets whose
destinations hit those routes. Deterministic for a given (routes, flows, seed).

Files written to OUT_DIR:
  routes_v4.txt   one prefix a line ("a.b.c.d/len"), read by weft-bench-routes
  l3fwd_v4.cfg    the same routes as l3fwd rules, all to port 1 (the net_null port)
  l3fwd_v6.cfg    one IPv6 rule: l3fwd silently falls back to built-in routes unless it gets both
  flows.pcap      one packet per flow (net_pcap infinite_rx replays the file in a loop)

Route sets:
  --routes 1000 (or any count below 65,536): that many distinct /24s.
  larger counts: an Internet-like prefix-length mix (DESIGN.md, "Tests and measurement").
"""
import argparse
import ipaddress
import os
import random
import struct
import sys

# Prefix lengths of a ~1M-route Internet table (approximate public BGP shares): /24 takes the rest.
INTERNET_MIX_PER_MILLION = {
    8: 16, 9: 14, 10: 40, 11: 100, 12: 300, 13: 600, 14: 1200, 15: 2000,
    16: 12000, 17: 8000, 18: 14000, 19: 25000, 20: 40000, 21: 50000,
    22: 120000, 23: 110000,
    25: 1500, 26: 1500, 27: 1000, 28: 800, 29: 700, 30: 400, 31: 30, 32: 3000,
}

# Unicast space the routes are drawn from: 1.0.0.0 .. 223.255.255.255 minus the ranges the
# harness uses itself (10/8 for next hops, 127/8, 198.18/15 for packet sources) and link-local.
FIRST_OCTET_EXCLUDED = {0, 10, 127}
SOURCE_NET = ipaddress.ip_network("198.18.0.0/15")
# Link-local destinations are punted by a switch, never routed (DESIGN.md): no route or flow there.
LINK_LOCAL = ipaddress.ip_network("169.254.0.0/16")

DST_MAC = bytes.fromhex("020000000001")  # the switch's ingress port MAC (set in Weft's config)
SRC_MAC = bytes.fromhex("020000000002")
FRAME_LEN = 60                           # 64 bytes on the wire with the FCS


def length_counts(total):
    if total < 65536:
        return {24: total}
    counts = {l: max(1, n * total // 1_000_000) for l, n in INTERNET_MIX_PER_MILLION.items()}
    counts[24] = total - sum(counts.values())
    return counts


def random_prefix(rng, length):
    while True:
        addr = rng.getrandbits(32)
        first = addr >> 24
        if 1 <= first <= 223 and first not in FIRST_OCTET_EXCLUDED:
            break
    mask = (0xFFFFFFFF << (32 - length)) & 0xFFFFFFFF
    return addr & mask


def make_routes(total, rng):
    routes = []  # (network as int, length)
    seen = set()
    for length, count in sorted(length_counts(total).items()):
        # Short lengths have few distinct prefixes: stop trying after a generous budget.
        attempts = 0
        made = 0
        while made < count and attempts < count * 50:
            attempts += 1
            net = random_prefix(rng, length)
            if (net, length) in seen:
                continue
            if ipaddress.IPv4Address(net) in SOURCE_NET or ipaddress.IPv4Address(net) in LINK_LOCAL:
                continue
            seen.add((net, length))
            routes.append((net, length))
            made += 1
    rng.shuffle(routes)
    return routes


def ip_checksum(header):
    total = sum(struct.unpack("!%dH" % (len(header) // 2), header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def udp_frame(src, dst, sport, dport):
    payload_len = FRAME_LEN - 14 - 20 - 8
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + 8 + payload_len, 0, 0, 64, 17, 0,
                     src.to_bytes(4, "big"), dst.to_bytes(4, "big"))
    ip = ip[:10] + struct.pack("!H", ip_checksum(ip)) + ip[12:]
    udp = struct.pack("!HHHH", sport, dport, 8 + payload_len, 0)  # IPv4 UDP checksum 0 = none
    return DST_MAC + SRC_MAC + b"\x08\x00" + ip + udp + bytes(payload_len)


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, frame in enumerate(frames):
            f.write(struct.pack("<IIII", i // 1000000, i % 1000000, len(frame), len(frame)))
            f.write(frame)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--routes", type=int, required=True)
    ap.add_argument("--flows", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("out_dir")
    args = ap.parse_args()
    if args.routes <= 0 or args.flows <= 0:
        sys.exit("--routes and --flows must be positive")

    rng = random.Random(args.seed)
    routes = make_routes(args.routes, rng)
    os.makedirs(args.out_dir, exist_ok=True)
    with open(os.path.join(args.out_dir, "routes_v4.txt"), "w") as f:
        f.writelines("%s/%d\n" % (ipaddress.IPv4Address(n), l) for n, l in routes)
    with open(os.path.join(args.out_dir, "l3fwd_v4.cfg"), "w") as f:
        f.writelines("R%s/%d 1\n" % (ipaddress.IPv4Address(n), l) for n, l in routes)
    with open(os.path.join(args.out_dir, "l3fwd_v6.cfg"), "w") as f:
        f.write("R2001:db8::/32 1\n")

    # Flows: a destination host inside a route (every route used once before any twice when
    # flows >= routes), a source from 198.18/15 and distinct ports, so every flow's 5-tuple differs.
    frames = []
    src_base = int(SOURCE_NET.network_address)
    for i in range(args.flows):
        net, length = routes[i % len(routes)] if args.flows >= len(routes) else rng.choice(routes)
        host_bits = 32 - length
        while True:  # a short prefix (e.g. 169.0.0.0/8) may cover the link-local range
            dst = net | (rng.getrandbits(host_bits) if host_bits else 0)
            if ipaddress.IPv4Address(dst) not in LINK_LOCAL:
                break
        src = src_base + (i % (SOURCE_NET.num_addresses - 2)) + 1
        frames.append(udp_frame(src, dst, 1024 + (i % 60000), 5000 + (i // 60000)))
    rng.shuffle(frames)
    write_pcap(os.path.join(args.out_dir, "flows.pcap"), frames)
    print("%d routes, %d flows in %s" % (len(routes), len(frames), args.out_dir))


if __name__ == "__main__":
    main()
