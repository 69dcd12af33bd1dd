"""weft-dataplane between two hosts over af_packet ports on veths, programmed via the Dataplane API.

    h1 eth0 10.0.1.2 ──── eth1 [Ethernet0]            [Ethernet4] eth2 ──── eth0 10.0.2.2 h2
                                 weft-dataplane (ns sw)
                                                      [Ethernet8] eth3 ──── eth1 10.0.3.2 h2
"""
import collections
import subprocess
import threading
import time

import pytest

from lib import api, hosts
from lib.dataplane import Dataplane
from lib.netns import Topology, sh

GROUP = 100
ECMP_DST = "10.9.0.1"


def tx_rx(dp_client):
    return {name: (c.rx_packets, c.tx_packets) for name, c in dp_client.port_counters().items()}


@pytest.fixture(scope="module")
def fabric(tmp_path_factory):
    topo = Topology()
    dpl = None
    try:
        h1, h2, sw = topo.ns("h1"), topo.ns("h2"), topo.ns("sw")
        topo.link(h1, "eth0", sw, "eth1")
        topo.link(h2, "eth0", sw, "eth2")
        topo.link(h2, "eth1", sw, "eth3")
        for ifname in ("eth1", "eth2", "eth3"):
            topo.mute(sw, ifname)
        for ns in (h1, h2):
            sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", ns=ns)
            sh("sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0", ns=ns)
            sh("sysctl", "-qw", "net.ipv4.conf.default.rp_filter=0", ns=ns)
        sh("ip", "-n", h1, "addr", "add", "10.0.1.2/24", "dev", "eth0")
        sh("ip", "-n", h1, "route", "add", "default", "via", "10.0.1.1")
        sh("ip", "-n", h2, "addr", "add", "10.0.2.2/24", "dev", "eth0")
        sh("ip", "-n", h2, "addr", "add", "10.0.3.2/24", "dev", "eth1")
        sh("ip", "-n", h2, "addr", "add", f"{ECMP_DST}/32", "dev", "lo")
        sh("ip", "-n", h2, "route", "add", "default", "via", "10.0.2.1")
        for ifname in ("eth0", "eth1"):
            sh("sysctl", "-qw", f"net.ipv4.conf.{ifname}.rp_filter=0", ns=h2)

        work = tmp_path_factory.mktemp("sw")
        dpl = Dataplane(sw, "sw1", [("Ethernet0", "eth1", 1500), ("Ethernet4", "eth2", 1500),
                                    ("Ethernet8", "eth3", 1500)], work).start()
        c = dpl.client
        # The switch's own addresses live on the TAP twins (ARP and ping to the gateway are
        # answered by the switch's kernel through the punt path) and in the data plane.
        for port, cidr in (("Ethernet0", "10.0.1.1/24"), ("Ethernet4", "10.0.2.1/24"),
                           ("Ethernet8", "10.0.3.1/24")):
            sh("ip", "-n", sw, "addr", "add", cidr, "dev", port)
            sh("ip", "-n", sw, "link", "set", port, "up")
            c.add_local(port, cidr)
        c.add_neighbor("Ethernet0", "10.0.1.2", topo.mac(h1, "eth0"))
        c.add_neighbor("Ethernet4", "10.0.2.2", topo.mac(h2, "eth0"))
        c.add_neighbor("Ethernet8", "10.0.3.2", topo.mac(h2, "eth1"))
        c.add_route("10.0.1.2/32", port="Ethernet0", via="10.0.1.2")
        c.add_route("10.0.2.2/32", port="Ethernet4", via="10.0.2.2")
        c.add_group(GROUP, [("Ethernet4", "10.0.2.2", 1), ("Ethernet8", "10.0.3.2", 1)])
        c.add_route("10.9.0.0/16", group=GROUP)
        ports = c.port_status()
        yield dict(topo=topo, dp=dpl, c=c, h1=h1, h2=h2, sw=sw,
                   gw_mac=ports["Ethernet0"].mac.hex(":"))
    finally:
        if dpl:
            dpl.stop()
        topo.close()


def test_ping_through_the_switch(fabric):
    r = hosts.ping(fabric["h1"], "10.0.1.1")  # the switch itself, via the TAP twin
    assert r.returncode == 0, r.stdout + r.stderr
    r = hosts.ping(fabric["h1"], "10.0.2.2")
    assert r.returncode == 0, r.stdout + r.stderr


def test_iperf3_tcp_transfer(fabric):
    server = subprocess.Popen(["ip", "netns", "exec", fabric["h2"], "iperf3", "-s", "-1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        r = sh("iperf3", "-c", "10.0.2.2", "-t", "3", "-J", ns=fabric["h1"], check=False,
               timeout=30)
        import json
        result = json.loads(r.stdout)
        assert "error" not in result, result.get("error")
        received = result["end"]["sum_received"]["bytes"]
        print(f"iperf3 TCP through weft-dataplane: "
              f"{result['end']['sum_received']['bits_per_second'] / 1e6:.1f} Mb/s")
        assert received > 1_000_000
    finally:
        server.kill()
        server.wait()


def if_counter(ns, ifname, which):
    return int(sh("cat", f"/sys/class/net/{ifname}/statistics/{which}", ns=ns).stdout)


def test_counters_equal_what_was_sent(fabric):
    c, h1, h2 = fabric["c"], fabric["h1"], fabric["h2"]
    # Permanent neighbours on the hosts: no ARP refresh sneaks into the counted window.
    sh("ip", "neigh", "replace", "10.0.1.1", "lladdr", fabric["gw_mac"], "dev", "eth0",
       "nud", "permanent", ns=h1)
    sink = hosts.pkt_started(h2, "udp-sink", 9002, "--seconds", 120)
    before = tx_rx(c)
    h1_tx, h2_rx = if_counter(h1, "eth0", "tx_packets"), if_counter(h2, "eth0", "rx_packets")
    n = 500
    sent = hosts.pkt(h1, "send", "eth0", "--dst-mac", fabric["gw_mac"], "--src",
                     "10.0.1.2", "--dst", "10.0.2.2", "--dport", 9002, "--count", n,
                     "--pps", 20000)["sent"]
    got = hosts.stop(sink)["count"]
    after = tx_rx(c)
    h1_tx = if_counter(h1, "eth0", "tx_packets") - h1_tx
    h2_rx = if_counter(h2, "eth0", "rx_packets") - h2_rx
    assert sent == n
    assert got == n
    # Every frame host 1 put on the wire was counted in by Ethernet0, and every frame Ethernet4
    # counted out arrived at host 2 (the same window may hold a stray ARP either way).
    assert after["Ethernet0"][0] - before["Ethernet0"][0] == h1_tx >= n
    assert after["Ethernet4"][1] - before["Ethernet4"][1] == h2_rx >= n


def forwarded(dp_client):
    """Packets each port sent that the pipeline forwarded (not what the kernel wrote to the TAP)."""
    return {name: c.tx_packets - c.injected_packets
            for name, c in dp_client.port_counters().items()}


def member_packets(dp_client):
    return {m.nexthop.port: m.packets for m in dp_client.all_counters().members
            if m.group_id == GROUP}


def test_thousand_flows_split_over_two_members(fabric):
    c = fabric["c"]
    before, members_before = forwarded(c), member_packets(c)
    flows = 1000
    hosts.pkt(fabric["h1"], "send", "eth0", "--dst-mac", fabric["gw_mac"], "--src", "10.0.1.2",
              "--dst", ECMP_DST, "--flows", flows, "--dport", 9003, "--pps", 20000)
    time.sleep(0.5)
    after, members_after = forwarded(c), member_packets(c)
    a = after["Ethernet4"] - before["Ethernet4"]
    b = after["Ethernet8"] - before["Ethernet8"]
    print(f"1000 flows over 2 members: {a} / {b}")
    assert a + b == flows
    assert abs(a - flows / 2) <= 0.1 * flows / 2 and abs(b - flows / 2) <= 0.1 * flows / 2
    # The per-member counters agree with the ports.
    assert members_after["Ethernet4"] - members_before.get("Ethernet4", 0) == a
    assert members_after["Ethernet8"] - members_before.get("Ethernet8", 0) == b


def test_ttl_one_goes_to_the_tap_not_forwarded(fabric):
    c = fabric["c"]
    punted_before = c.port_counters()["Ethernet0"].punted_packets
    tap = hosts.pkt_started(fabric["sw"], "sniff", "Ethernet0", "--seconds", 120,
                            "--filter", "udp and dst port 9004")
    far = hosts.pkt_started(fabric["h2"], "sniff", "eth0", "--seconds", 120,
                            "--filter", "udp and dst port 9004")
    hosts.pkt(fabric["h1"], "send", "eth0", "--dst-mac", fabric["gw_mac"], "--src", "10.0.1.2",
              "--dst", "10.0.2.2", "--ttl", 1, "--dport", 9004, "--count", 3)
    at_tap, at_h2 = hosts.stop(tap), hosts.stop(far, linger=0)
    assert at_tap["count"] == 3 and at_tap["ttls"] == [1, 1, 1]
    assert at_h2["count"] == 0
    assert c.port_counters()["Ethernet0"].punted_packets - punted_before >= 3


@pytest.mark.parametrize("kind", ["bad-ihl", "bad-version", "total-length", "truncated"])
def test_malformed_packet_counted_not_forwarded(fabric, kind):
    c = fabric["c"]
    drops_before = collections.Counter(dict(c.port_counters()["Ethernet0"].drops))
    far = hosts.pkt_started(fabric["h2"], "sniff", "eth0", "--seconds", 120,
                            "--filter", "udp and dst port 9005")
    hosts.pkt(fabric["h1"], "send", "eth0", "--dst-mac", fabric["gw_mac"], "--src", "10.0.1.2",
              "--dst", "10.0.2.2", "--dport", 9005, "--count", 5, "--malformed", kind)
    assert hosts.stop(far)["count"] == 0
    time.sleep(0.2)
    drops_after = collections.Counter(dict(c.port_counters()["Ethernet0"].drops))
    delta = {k: drops_after[k] - drops_before[k] for k in drops_after
             if drops_after[k] != drops_before[k]}
    print(f"{kind}: {delta}")
    assert sum(delta.values()) == 5 and len(delta) == 1, delta


def test_jumbo_frame_crosses_only_when_mtu_allows(fabric):
    c, h1 = fabric["c"], fabric["h1"]
    for ns, ifname in ((h1, "eth0"), (fabric["h2"], "eth0")):
        sh("ip", "-n", ns, "link", "set", ifname, "mtu", "9000")
    # Ingress port jumbo, egress port 1500: the data plane itself must refuse the frame.
    c.ports.SetPortMtu(api.dp.SetPortMtuRequest(port="Ethernet0", mtu=9000), timeout=10)
    assert c.port_status()["Ethernet0"].mtu == 9000
    mtu_drops = lambda: sum(v for k, v in c.all_counters().drops.items()  # noqa: E731
                            if "mtu" in k)
    before = mtu_drops()
    r = hosts.ping(h1, "10.0.2.2", count=2, size=8972, dont_fragment=True)
    assert r.returncode != 0, "9000-byte frame crossed a 1500-byte port"
    assert mtu_drops() - before == 2
    c.ports.SetPortMtu(api.dp.SetPortMtuRequest(port="Ethernet4", mtu=9000), timeout=10)
    r = hosts.ping(h1, "10.0.2.2", count=3, size=8972, dont_fragment=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "8980 bytes from 10.0.2.2" in r.stdout  # 8972 + ICMP header


def test_veth_down_is_seen_as_port_down(fabric):
    c, h2 = fabric["c"], fabric["h2"]
    events = []
    stream = c.switch.StreamEvents(api.dp.StreamEventsRequest(), timeout=20)

    def drain():
        try:
            for ev in stream:
                events.append(ev)
        except api.grpc.RpcError:
            pass

    t = threading.Thread(target=drain, daemon=True)
    t.start()
    time.sleep(0.5)
    assert c.port_status()["Ethernet8"].oper_up
    sh("ip", "-n", h2, "link", "set", "eth1", "down")

    def wait_oper(up):
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            if c.port_status()["Ethernet8"].oper_up == up:
                return True
            time.sleep(0.05)
        return False

    try:
        assert wait_oper(False), "Ethernet8 still up after its veth peer went down"
        # The TAP twin mirrors carrier, so routing daemons see the link go down too.
        carrier = sh("cat", "/sys/class/net/Ethernet8/carrier", ns=fabric["sw"],
                     check=False).stdout.strip()
        assert carrier == "0"
    finally:
        sh("ip", "-n", h2, "link", "set", "eth1", "up")
    assert wait_oper(True)
    time.sleep(0.3)
    stream.cancel()
    t.join(5)
    states = [(e.port_state.port, e.port_state.oper_up) for e in events
              if e.WhichOneof("event") == "port_state"]
    assert ("Ethernet8", False) in states and ("Ethernet8", True) in states, states
