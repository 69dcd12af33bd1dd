#!/usr/bin/python3
"""Two hosts, one Weft switch, routes over the Dataplane API, traffic forwarded and counted."""
import pathlib
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from lib import hosts  # noqa: E402
from lib.dataplane import Dataplane  # noqa: E402
from lib.netns import Topology, remove_leftovers, sh  # noqa: E402


def show_counters(c):
    print(f"{'port':<10} {'rx_pkts':>8} {'tx_pkts':>8} {'punted':>7} {'injected':>8}  drops")
    for name, p in sorted(c.port_counters().items()):
        drops = ", ".join(f"{k}={v}" for k, v in sorted(p.drops.items()) if v) or "-"
        print(f"{name:<10} {p.rx_packets:>8} {p.tx_packets:>8} {p.punted_packets:>7} "
              f"{p.injected_packets:>8}  {drops}")


def main():
    remove_leftovers("wd-")
    with Topology(prefix="wd-") as topo, tempfile.TemporaryDirectory() as work:
        h1, h2, sw = topo.ns("h1"), topo.ns("h2"), topo.ns("sw")
        topo.link(h1, "eth0", sw, "eth1")
        topo.link(h2, "eth0", sw, "eth2")
        for ifname in ("eth1", "eth2"):
            topo.mute(sw, ifname)
        for ns, cidr, gw in ((h1, "10.0.1.2/24", "10.0.1.1"), (h2, "10.0.2.2/24", "10.0.2.1")):
            sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", ns=ns)
            sh("ip", "-n", ns, "addr", "add", cidr, "dev", "eth0")
            sh("ip", "-n", ns, "route", "add", "default", "via", gw)
        print("== starting weft-dataplane in namespace", sw)
        dpl = Dataplane(sw, "demo", [("Ethernet0", "eth1", 1500), ("Ethernet4", "eth2", 1500)],
                        work).start()
        try:
            c = dpl.client
            for port, cidr, host_ns, host_ip in (("Ethernet0", "10.0.1.1/24", h1, "10.0.1.2"),
                                                 ("Ethernet4", "10.0.2.1/24", h2, "10.0.2.2")):
                sh("ip", "-n", sw, "addr", "add", cidr, "dev", port)
                sh("ip", "-n", sw, "link", "set", port, "up")
                c.add_local(port, cidr)
                c.add_neighbor(port, host_ip, topo.mac(host_ns, "eth0"))
                c.add_route(f"{host_ip}/32", port=port, via=host_ip)
                print(f"== programmed {host_ip}/32 via {port} (Dataplane API)")
            r = hosts.ping(h1, "10.0.2.2", count=5)
            print(r.stdout)
            gw_mac = c.port_status()["Ethernet0"].mac.hex(":")
            sink = hosts.pkt_background(h2, "udp-sink", 9000, "--seconds", 3)
            sent = hosts.pkt(h1, "send", "eth0", "--dst-mac", gw_mac, "--src", "10.0.1.2",
                             "--dst", "10.0.2.2", "--count", 1000)["sent"]
            got = hosts.collect(sink)["count"]
            print(f"== UDP: h1 sent {sent}, h2 received {got}")
            show_counters(c)
            return 0 if r.returncode == 0 and got == sent else 1
        finally:
            dpl.stop()


if __name__ == "__main__":
    sys.exit(main())
