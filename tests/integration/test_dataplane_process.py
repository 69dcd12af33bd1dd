"""weft-dataplane as a process: config errors, restarts with TAP twins kept, idle CPU."""
import json
import os
import subprocess
import time

import pytest

from lib import api
from lib.dataplane import BINARY, Dataplane
from lib.netns import Topology, sh


@pytest.fixture
def one_port_switch(tmp_path):
    with Topology() as topo:
        h1, sw = topo.ns("p-h1"), topo.ns("p-sw")
        topo.link(h1, "eth0", sw, "eth1")
        topo.mute(sw, "eth1")
        yield topo, sw, tmp_path


@pytest.mark.parametrize("mutate,field", [
    (lambda c: c["switches"][0]["ports"][0].update(mtu=9300), "switches[0].ports[0].mtu"),
    (lambda c: c["switches"][0]["ports"][0].update(name="eth0"), "switches[0].ports[0].name"),
    (lambda c: c["switches"][0]["ports"][0].update(vdev=""), "switches[0].ports[0].vdev"),
    (lambda c: c["switches"][0]["ports"].append(dict(c["switches"][0]["ports"][0])),
     "switches[0].ports[1].name"),
])
def test_invalid_config_stops_the_start(tmp_path, mutate, field):
    cfg = {"eal": {"file_prefix": "wt-badcfg", "no_huge": True},
           "switches": [{"name": "s", "api_socket": f"unix:{tmp_path}/s.sock",
                         "run_dir": str(tmp_path / "run"),
                         "ports": [{"name": "Ethernet0", "vdev": "net_null"}]}]}
    mutate(cfg)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(cfg))
    r = subprocess.run([str(BINARY), "--config", str(path)], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 2, r.stdout + r.stderr
    assert field in r.stderr, r.stderr
    assert not (tmp_path / "s.sock").exists()


def test_unparsable_config_names_the_problem(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"switches": [{"name": "s", "ports": [{"mtu": "big"}]}]}')
    r = subprocess.run([str(BINARY), "--config", str(path)], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 2
    assert "mtu" in r.stderr, r.stderr


def cpu_seconds(pid):
    """utime+stime of a process and all its threads."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def dataplane_pid(dpl):
    # `ip netns exec` execs the binary, so the Popen pid is the data plane itself.
    return dpl.proc.pid


def test_idle_dataplane_uses_under_five_percent_of_a_core(one_port_switch):
    topo, sw, work = one_port_switch
    dpl = Dataplane(sw, "idle", [("Ethernet0", "eth1", 1500)], work, create_taps=False).start()
    try:
        time.sleep(2)
        pid = dataplane_pid(dpl)
        t0, c0 = time.monotonic(), cpu_seconds(pid)
        time.sleep(5)
        share = (cpu_seconds(pid) - c0) / (time.monotonic() - t0)
        print(f"idle weft-dataplane CPU: {share * 100:.2f}% of a core")
        assert share < 0.05
    finally:
        assert dpl.stop() == 0


def test_tap_twin_keeps_carrier_across_a_restart(one_port_switch):
    topo, sw, work = one_port_switch
    dpl = Dataplane(sw, "restart", [("Ethernet0", "eth1", 1500)], work)
    dpl.start()
    epoch1 = dpl.client.switch.GetInfo(api.dp.GetInfoRequest(), timeout=5).boot_epoch
    sh("ip", "-n", sw, "addr", "add", "192.0.2.1/24", "dev", "Ethernet0")
    sh("ip", "-n", sw, "link", "set", "Ethernet0", "up")
    time.sleep(0.5)
    carrier = lambda: sh("cat", "/sys/class/net/Ethernet0/carrier", ns=sw,  # noqa: E731
                         check=False).stdout.strip()
    assert carrier() == "1"
    ifindex = sh("cat", "/sys/class/net/Ethernet0/ifindex", ns=sw).stdout.strip()
    # Watch carrier through the restart: it must never read 0.
    watcher = subprocess.Popen(
        ["ip", "netns", "exec", sw, "sh", "-c",
         "end=$(($(date +%s)+6)); while [ $(date +%s) -lt $end ]; do "
         "cat /sys/class/net/Ethernet0/carrier; sleep 0.02; done"],
        stdout=subprocess.PIPE, text=True)
    assert dpl.stop() == 0
    dpl.start()
    samples = watcher.communicate(timeout=20)[0].split()
    epoch2 = dpl.client.switch.GetInfo(api.dp.GetInfoRequest(), timeout=5).boot_epoch
    try:
        assert samples and "0" not in samples, f"carrier dropped during restart: {samples}"
        assert sh("cat", "/sys/class/net/Ethernet0/ifindex", ns=sw).stdout.strip() == ifindex
        addrs = sh("ip", "-n", sw, "-j", "addr", "show", "Ethernet0").stdout
        assert "192.0.2.1" in addrs
        assert epoch1 != epoch2
    finally:
        dpl.stop()
