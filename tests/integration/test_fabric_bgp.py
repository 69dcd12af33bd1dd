"""Two switches, each weft-dataplane + weftd + Debian's FRR (zebra -M dplane_fpm_nl, bgpd,
staticd), eBGP between them over their data-plane ports (BGP travels the TAP punt path), hosts
behind them, two parallel links with BGP multipath.

    h1 eth0 10.1.1.2 ── Ethernet0 [swa AS 65001] Ethernet4 10.0.0.0/31 ── 10.0.0.1/31 Ethernet4 [swb AS 65002] Ethernet0 ── eth0 10.2.2.2 h2
                                                 Ethernet8 10.0.0.2/31 ── 10.0.0.3/31 Ethernet8                 Ethernet12 ── eth0 10.2.3.2 h3 (lo 10.9.9.9)

One fabric is shared by the tests (BGP takes seconds to come up); each test leaves it as it found
it (both links up, multipath on both) and reads counters as differences.
"""
import time

import pytest

from lib import api, hosts
from lib.netns import Topology, sh
from lib.switch import FRR, Switch, wait_for

H2_NET = "10.2.2.0/24"
LINKS = ["10.0.0.1@Ethernet4", "10.0.0.3@Ethernet8"]  # swa's next hops towards swb


def bgpd_conf(asn, router_id, neighbors, networks):
    lines = [f"router bgp {asn}", f" bgp router-id {router_id}", " no bgp ebgp-requires-policy",
             " no bgp network import-check", " timers bgp 1 3"]
    for n in neighbors:
        lines += [f" neighbor {n} remote-as external", f" neighbor {n} advertisement-interval 0",
                  f" neighbor {n} timers connect 1"]
    lines += [" address-family ipv4 unicast", " maximum-paths 4"]
    lines += [f"  network {n}" for n in networks]
    lines += [" exit-address-family", ""]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def fabric(tmp_path_factory):
    if not (FRR / "bgpd").exists():
        pytest.fail("Debian's frr is not installed (scripts/install-deps)")
    topo = Topology()
    switches = []
    try:
        h1, h2, h3 = topo.ns("fh1"), topo.ns("fh2"), topo.ns("fh3")
        swa, swb = topo.ns("fswa"), topo.ns("fswb")
        topo.link(h1, "eth0", swa, "eth1")
        topo.link(swa, "eth2", swb, "eth2")
        topo.link(swa, "eth3", swb, "eth3")
        topo.link(h2, "eth0", swb, "eth1")
        topo.link(h3, "eth0", swb, "eth4")
        for sw, ifs in ((swa, ("eth1", "eth2", "eth3")), (swb, ("eth1", "eth2", "eth3", "eth4"))):
            # IPv6 off (fewer ND packets in the counted windows); the switch routes (zebra).
            for key in ("net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1",
                        "net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0",
                        "net.ipv4.conf.default.rp_filter=0"):
                sh("sysctl", "-qw", key, ns=sw)
            for ifname in ifs:
                topo.mute(sw, ifname)
        for ns, cidr, gw in ((h1, "10.1.1.2/24", "10.1.1.1"), (h2, "10.2.2.2/24", "10.2.2.1"),
                             (h3, "10.2.3.2/24", "10.2.3.1")):
            sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", ns=ns)
            sh("ip", "-n", ns, "addr", "add", cidr, "dev", "eth0")
            sh("ip", "-n", ns, "route", "add", "default", "via", gw)
        sh("ip", "-n", h3, "addr", "add", "10.9.9.9/32", "dev", "lo")
        # h3 answers no ARP until the resolution test says so.
        sh("sysctl", "-qw", "net.ipv4.conf.eth0.arp_ignore=8", ns=h3)

        a = Switch(swa, "swa", [("Ethernet0", "eth1", 1500), ("Ethernet4", "eth2", 1500),
                                ("Ethernet8", "eth3", 1500)], tmp_path_factory.mktemp("swa"))
        switches.append(a)
        b = Switch(swb, "swb", [("Ethernet0", "eth1", 1500), ("Ethernet4", "eth2", 1500),
                                ("Ethernet8", "eth3", 1500), ("Ethernet12", "eth4", 1500)],
                   tmp_path_factory.mktemp("swb"))
        switches.append(b)
        addrs = {a: [("Ethernet0", "10.1.1.1/24"), ("Ethernet4", "10.0.0.0/31"),
                     ("Ethernet8", "10.0.0.2/31")],
                 b: [("Ethernet0", "10.2.2.1/24"), ("Ethernet4", "10.0.0.1/31"),
                     ("Ethernet8", "10.0.0.3/31"), ("Ethernet12", "10.2.3.1/24")]}
        for s in (a, b):
            s.start_dataplane()
            for port, cidr in addrs[s]:
                sh("ip", "-n", s.ns, "addr", "add", cidr, "dev", port)
                sh("ip", "-n", s.ns, "link", "set", port, "up")
            s.start_weftd()
            s.write_frr_config("zebra", f"hostname {s.name}\nfpm address 127.0.0.1 port 2620\n")
            s.write_frr_config("staticd", f"hostname {s.name}\n")
        # Gleaned packets for Ethernet12 are not forwarded by swb's kernel either: whatever h3
        # receives, the data plane forwarded (the resolution test relies on it).
        sh("sysctl", "-qw", "net.ipv4.conf.Ethernet12.forwarding=0", ns=swb)
        a.write_frr_config("bgpd", bgpd_conf(65001, "10.255.0.1", ["10.0.0.1", "10.0.0.3"],
                                             ["10.1.1.0/24"]))
        b.write_frr_config("bgpd", bgpd_conf(65002, "10.255.0.2", ["10.0.0.0", "10.0.0.2"],
                                             [H2_NET]))
        for s in (a, b):
            s.start_frr("zebra")
        time.sleep(1)
        for s in (a, b):
            s.start_frr("staticd")
            s.start_frr("bgpd")
        # The hosts' first ARP teaches each switch its host (a neighbour and its host route).
        for ns, gw in ((h1, "10.1.1.1"), (h2, "10.2.2.1")):
            hosts.ping(ns, gw, count=1)
        up = wait_for(lambda: a.nexthops(H2_NET) == LINKS
                      and b.nexthops("10.1.1.0/24") == ["10.0.0.0@Ethernet4",
                                                        "10.0.0.2@Ethernet8"], 40, 0.5)
        assert up, (f"BGP multipath routes did not reach both data planes: swa {a.nexthops(H2_NET)}"
                    f"\n{a.vtysh('show ip bgp summary')}\n{a.log()[-3000:]}")
        ports = {s: s.dp.client.port_status() for s in (a, b)}
        topo.workdir = tmp_path_factory.mktemp("streams")
        yield dict(topo=topo, a=a, b=b, h1=h1, h2=h2, h3=h3,
                   a_mac=ports[a]["Ethernet0"].mac.hex(":"),
                   b_mac=ports[b]["Ethernet0"].mac.hex(":"))
    finally:
        for s in switches:
            s.stop()
        topo.close()


def udp_sink(f, ns, dport, seconds=120):
    """A UDP sink in the background; returns once it listens. finish() ends it."""
    listening = f["topo"].workdir / f"sink-{dport}"
    listening.unlink(missing_ok=True)
    sink = hosts.pkt_background(ns, "udp-sink", dport, "--seconds", seconds, "--ready-file",
                                listening)
    assert wait_for(listening.exists, 20), "the sink did not start"
    return sink


def stream(f, seconds, pps, flows=16, dport=9100, src="h1"):
    """A steady UDP stream from h1 to h2 (or h2 to h3's 10.9.9.9) in the background; returns
    once the sender sends."""
    if src == "h1":
        ns, mac, sip, dip, sink_ns = f["h1"], f["a_mac"], "10.1.1.2", "10.2.2.2", f["h2"]
    else:
        ns, mac, sip, dip, sink_ns = f["h2"], f["b_mac"], "10.2.2.2", "10.9.9.9", None
    sink = udp_sink(f, sink_ns, dport) if sink_ns else None
    ready = f["topo"].workdir / f"send-{dport}"
    ready.unlink(missing_ok=True)
    sender = hosts.pkt_background(ns, "send", "eth0", "--dst-mac", mac, "--src", sip, "--dst",
                                  dip, "--dport", dport, "--flows", flows, "--count", 10**9,
                                  "--pps", pps, "--seconds", seconds, "--ready-file", ready)
    assert wait_for(ready.exists, 20), "the sender did not start"
    sender.started_at = ready.stat().st_mtime  # wall clock, as capture times are
    return sender, sink


def path_counters(f):
    """Per switch and port: rx, tx and drops (by reason), to say where a lost packet went."""
    out = {}
    for s in (f["a"], f["b"]):
        for name, c in s.dp.client.port_counters().items():
            out[f"{s.name}.{name}"] = (c.rx_packets, c.tx_packets, dict(c.drops))
    return out


def where_lost(before, after):
    delta = {}
    for k, (rx, tx, drops) in after.items():
        rx0, tx0, drops0 = before[k]
        d = {r: n - drops0.get(r, 0) for r, n in drops.items() if n != drops0.get(r, 0)}
        delta[k] = f"rx {rx - rx0} tx {tx - tx0}" + (f" drops {d}" if d else "")
    return "\n".join(f"  {k}: {v}" for k, v in sorted(delta.items()))


def finish(sender, sink, timeout=120):
    """Waits for the sender; ends the sink half a second later (packets in flight)."""
    sent = hosts.collect(sender, timeout)["sent"]
    if sink:
        time.sleep(0.5)
        sink.terminate()
    got = hosts.collect(sink, timeout)["count"] if sink else None
    return sent, got


def churn(s):
    t = s.tables()
    return {k: getattr(t, k) for k in (
        "route_adds", "route_replaces", "route_deletes", "group_adds", "group_replaces",
        "group_deletes", "neighbor_adds", "neighbor_replaces", "neighbor_deletes")}


def forwarded(s, port):
    c = s.dp.client.port_counters()[port]
    return c.tx_packets - c.injected_packets


def test_hosts_talk_over_bgp_learned_routes(fabric):
    a, b = fabric["a"], fabric["b"]
    # Both switches learned the other's host subnet over eBGP, through the punt path.
    assert a.nexthops(H2_NET) == LINKS
    assert "10.1.1.0/24" in b.routes()
    r = hosts.ping(fabric["h1"], "10.2.2.2", count=3)
    assert r.returncode == 0, r.stdout + r.stderr
    # The hosts are forwarded to by the data plane over their neighbours' host routes.
    assert a.nexthops("10.1.1.2/32") == ["10.1.1.2@Ethernet0"]
    assert b.nexthops("10.2.2.2/32") == ["10.2.2.2@Ethernet0"]
    before, counters = forwarded(b, "Ethernet0"), path_counters(fabric)
    sender, sink = stream(fabric, 1.0, 500, dport=9101)
    sent, got = finish(sender, sink)
    assert sent >= 450 and got == sent, where_lost(counters, path_counters(fabric))
    assert forwarded(b, "Ethernet0") - before >= sent
    # weftd keeps the neighbour its routes use resolved in the kernel (managed entry), although
    # the forwarded traffic never passes through the kernel.
    neigh = sh("ip", "-d", "neigh", "show", "10.2.2.2", "dev", "Ethernet0", ns=b.ns).stdout
    assert "managed" in neigh and "lladdr" in neigh, neigh


def member_packets(s, prefix):
    route = s.routes()[prefix]
    out = {}
    for m in s.dp.client.all_counters().members:
        if m.group_id == route.nexthop_group_id:
            out[m.nexthop.port] = m.packets
    return out


def test_multipath_flows_use_both_links(fabric):
    a = fabric["a"]
    before, counters = member_packets(a, H2_NET), path_counters(fabric)
    flows, count = 256, 4
    sink = udp_sink(fabric, fabric["h2"], 9102)
    sent = hosts.pkt(fabric["h1"], "send", "eth0", "--dst-mac", fabric["a_mac"], "--src",
                     "10.1.1.2", "--dst", "10.2.2.2", "--dport", 9102, "--flows", flows,
                     "--count", count, "--pps", 2000)["sent"]
    time.sleep(0.5)
    sink.terminate()
    got = hosts.collect(sink)["count"]
    after = member_packets(a, H2_NET)
    used = {p: after.get(p, 0) - before.get(p, 0) for p in ("Ethernet4", "Ethernet8")}
    print(f"{flows} flows x {count} over two BGP paths: {used}")
    assert got == sent == flows * count, where_lost(counters, path_counters(fabric))
    assert sum(used.values()) == sent
    # Each flow sticks to one link; 256 flows split no worse than 30/70.
    assert min(used.values()) >= 0.3 * sent, used


def test_weftd_kill_9_loses_no_packet_and_writes_nothing(fabric):
    a, b = fabric["a"], fabric["b"]
    before, counters = {s: churn(s) for s in (a, b)}, path_counters(fabric)
    connected = {s: s.log().count("zebra connected") for s in (a, b)}
    sender, sink = stream(fabric, 7.0, 500, dport=9103)
    time.sleep(1)
    for s in (a, b):
        s.kill_weftd()
        s.start_weftd()
    # zebra reconnects (every 3 s) and replays; weftd adopts what the data plane holds and,
    # after the startup hold (3 s), would delete what nobody claims.
    assert wait_for(lambda: all(s.log().count("zebra connected") > connected[s] for s in (a, b)),
                    10)
    sent, got = finish(sender, sink)  # ends 6 s after the restart: past the startup hold
    print(f"kill -9 weftd under a {sent}-packet stream: {sent - got} lost")
    assert got == sent, where_lost(counters, path_counters(fabric))
    for s in (a, b):
        assert churn(s) == before[s], (s.name, before[s], churn(s))
    assert a.nexthops(H2_NET) == LINKS


def restart_weftd_with(s, extra_config):
    """kill -9 weftd and start it again with its base config plus `extra_config`."""
    base = s.weftd_config.read_text().split("# test extra\n")[0]
    s.weftd_config.write_text(base + ("# test extra\n" + extra_config if extra_config else ""))
    s.kill_weftd()
    s.start_weftd()


def group_mode(s, prefix):
    route = s.routes().get(prefix)
    return s.groups()[route.nexthop_group_id].load_balance_mode if route else None


def test_weftd_group_mode_flowlet_rewrites_groups_in_place(fabric):
    """weftd configured for flowlet adaptive routing: after its restart the BGP multipath group
    is rewritten in that mode (same id, no route written), under a stream that loses nothing, and
    the data plane's flowlet counters move. Then back to hashing the same way."""
    a = fabric["a"]
    group = a.routes()[H2_NET].nexthop_group_id
    before, counters = churn(a), path_counters(fabric)
    flowlets = a.dp.client.lb.GetLoadBalancingCounters(
        api.lb.GetLoadBalancingCountersRequest(), timeout=5).flowlets_started
    sender, sink = stream(fabric, 5.0, 500, dport=9106, flows=32)
    try:
        restart_weftd_with(a, 'nexthop_group_mode: "flowlet"\n')
        assert wait_for(lambda: group_mode(a, H2_NET) == api.lb.LOAD_BALANCE_MODE_FLOWLET, 15), \
            a.log()[-2000:]
    finally:
        sent, got = finish(sender, sink)
    print(f"weftd restarted in flowlet mode under a {sent}-packet stream: {sent - got} lost")
    assert got == sent, where_lost(counters, path_counters(fabric))
    assert a.routes()[H2_NET].nexthop_group_id == group
    after = churn(a)
    assert after["group_replaces"] > before["group_replaces"]
    changed = {k: (before[k], after[k]) for k in before if k != "group_replaces"
               and before[k] != after[k]}
    assert not changed, changed
    now = a.dp.client.lb.GetLoadBalancingCounters(
        api.lb.GetLoadBalancingCountersRequest(), timeout=5).flowlets_started
    assert now > flowlets, (flowlets, now)

    connected = a.log().count("zebra connected")
    restart_weftd_with(a, "")
    assert wait_for(lambda: group_mode(a, H2_NET) in (api.lb.LOAD_BALANCE_MODE_HASH,
                                                      api.lb.LOAD_BALANCE_MODE_UNSPECIFIED), 15)
    assert a.routes()[H2_NET].nexthop_group_id == group
    assert wait_for(lambda: a.log().count("zebra connected") > connected, 10)  # for what follows


def test_zebra_restart_loses_no_packet(fabric):
    a = fabric["a"]
    connected = a.log().count("zebra connected")
    swept, counters = a.log().count("swept"), path_counters(fabric)
    # zebra dies and is restarted with its clients, as watchfrr's phased restart does when zebra
    # dies (clients stopped, zebra started, clients started): Debian's bgpd 8.4 does not replay
    # its routes to a restarted zebra by itself (FRR issue #22362, fixed in 2026). The BGP sessions
    # come back and the routes are replayed over FPM; until then weftd holds the routes of the
    # previous session as stale (30 s hold, the default) and the data plane forwards on. The
    # stream lasts until nothing is stale any more.
    sender, sink = stream(fabric, 60.0, 500, dport=9104)
    time.sleep(1)
    t0 = time.monotonic()
    for daemon in ("zebra", "bgpd", "staticd"):
        a.kill_frr(daemon)
    a.start_frr("zebra")
    time.sleep(1)
    a.start_frr("staticd")
    a.start_frr("bgpd")
    try:
        assert wait_for(lambda: a.log().count("zebra connected") > connected, 10)
        reconnected = time.monotonic() - t0
        replayed = wait_for(lambda: a.fpm_status().stale_routes == 0, 40, 0.5)
        replay_s = time.monotonic() - t0
        time.sleep(1)
    finally:
        sender.terminate()
    sent, got = finish(sender, sink)
    status = a.fpm_status()
    print(f"zebra restart under a {sent}-packet stream: {sent - got} lost; FPM back after "
          f"{reconnected:.1f} s, BGP routes replayed after {replay_s:.1f} s "
          f"(stale hold {status.stale_hold.seconds} s)")
    assert replayed, "routes still stale after 40 s"
    assert got == sent, where_lost(counters, path_counters(fabric))
    # Nothing was swept and the routes are what they were: the sweep after the hold can only
    # remove stale routes, and none is left.
    assert status.stale_routes == 0 and a.log().count("swept") == swept
    assert a.nexthops(H2_NET) == LINKS


def test_link_down_moves_traffic_within_a_second(fabric):
    a, b = fabric["a"], fabric["b"]
    pps = 1000
    before, counters = member_packets(a, H2_NET), path_counters(fabric)
    sender, sink = stream(fabric, 6.0, pps, flows=64, dport=9105)
    time.sleep(2)
    both = member_packets(a, H2_NET)
    sh("ip", "-n", b.ns, "link", "set", "eth3", "down")  # swa's Ethernet8 loses carrier
    try:
        # The stream did use the link that goes down.
        assert all(both[p] - before[p] > 100 for p in ("Ethernet4", "Ethernet8")), (before, both)
        sent, got = finish(sender, sink)
        loss_s = (sent - got) / pps
        print(f"link down under {pps} pps over 64 flows: {sent - got} lost = {loss_s:.3f} s")
        assert got > 0 and loss_s < 1.0, where_lost(counters, path_counters(fabric))
        # FRR saw the link go down through the TAP's carrier and withdrew the path.
        assert sh("cat", "/sys/class/net/Ethernet8/carrier", ns=a.ns,
                  check=False).stdout.strip() == "0"
        assert wait_for(lambda: a.nexthops(H2_NET) == LINKS[:1], 10), a.nexthops(H2_NET)
    finally:
        sh("ip", "-n", b.ns, "link", "set", "eth3", "up")
    assert wait_for(lambda: a.nexthops(H2_NET) == LINKS, 30, 0.5), a.nexthops(H2_NET)


def test_unresolved_nexthop_is_resolved_by_weftd_and_forwards_within_a_second(fabric, tmp_path):
    b, h3 = fabric["b"], fabric["h3"]
    # A route whose next hop swb has never heard from (h3 answers no ARP yet).
    ready = tmp_path / "capturing"
    capture = hosts.pkt_background(h3, "sniff", "eth0", "--seconds", 120, "--filter",
                                   "arp or (udp and dst port 9106)", "--ready-file", ready)
    assert wait_for(ready.exists, 10)
    b.vtysh("configure terminal", "ip route 10.9.9.0/24 10.2.3.2", daemon="staticd")
    assert wait_for(lambda: b.nexthops("10.9.9.0/24") == ["10.2.3.2@Ethernet12"], 10)
    sender, _ = stream(fabric, 5.0, 1000, dport=9106, src="h2")
    time.sleep(2)
    sh("sysctl", "-qw", "net.ipv4.conf.eth0.arp_ignore=0", ns=h3)
    finish(sender, None)
    time.sleep(0.5)
    capture.terminate()
    seen = hosts.collect(capture)
    print(f"resolution: {seen['arp_requests']} ARP requests; first packet "
          f"{(seen['first_udp'] or 0) - (seen['first_arp_reply'] or 0):.3f} s after the answer")
    # weftd asked the kernel to resolve the next hop: requests came with no packet to glean
    # before the stream, and again until the answer.
    assert seen["arp_requests"] >= 2, seen
    assert seen["first_arp_request"] < sender.started_at, seen
    assert seen["first_arp_reply"] is not None and seen["udp"] > 0, seen
    # Nothing reached h3 before its answer, and traffic flowed within a second of it.
    assert seen["first_udp"] >= seen["first_arp_reply"]
    assert seen["first_udp"] - seen["first_arp_reply"] < 1.0, seen
