"""One emulated switch as a user runs it: weft-dataplane, weftd and Debian's FRR (zebra with
dplane_fpm_nl, bgpd, staticd) in the switch's namespace, each started and stopped by pid.

FRR daemons drop to user frr, so their files live in a world-readable directory of their own.
"""
import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import time

from . import api
from .dataplane import Dataplane
from .netns import sh

WEFTD = api.BUILD / "controlplane" / "weftd"
FRR = pathlib.Path("/usr/lib/frr")


def wait_for(cond, timeout, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(interval)
    return cond()


class Switch:
    def __init__(self, ns, name, ports, workdir, stale_hold_s=30, startup_hold_s=3):
        """ports: list of (port_name, veth_name_in_ns, mtu)."""
        self.ns, self.name = ns, name
        self.workdir = pathlib.Path(workdir)
        self.dp = Dataplane(ns, name, ports, self.workdir / "dp")
        self.frr_dir = pathlib.Path(tempfile.mkdtemp(prefix=f"weft-frr-{name}-"))
        os.chmod(self.frr_dir, 0o777)
        self.weftd_log = self.workdir / "weftd.log"
        self.weftd_config = self.workdir / "weftd.textproto"
        self.weftd_config.write_text(
            f'instance: "{name}"\n'
            f'dataplane_address: "unix:{self.dp.socket}"\n'
            f'management_address: "unix:{self.workdir}/weftd.sock"\n'
            f"fpm {{ stale_hold {{ seconds: {stale_hold_s} }} }}\n"
            f"startup_hold {{ seconds: {startup_hold_s} }}\n")
        self.weftd = None
        self.daemons = {}  # FRR daemon name -> Popen

    # Processes ------------------------------------------------------------------------------
    def _popen(self, argv, log):
        return subprocess.Popen(["ip", "netns", "exec", self.ns, *argv],
                                stdout=open(log, "ab"), stderr=subprocess.STDOUT,
                                start_new_session=True)

    def start_dataplane(self):
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.dp.start()
        return self

    def start_weftd(self):
        self.weftd = self._popen([str(WEFTD), "--config", str(self.weftd_config)],
                                 self.weftd_log)
        return self.weftd

    def kill_weftd(self):
        os.kill(self.weftd.pid, signal.SIGKILL)
        self.weftd.wait(10)

    def write_frr_config(self, daemon, text):
        path = self.frr_dir / f"{daemon}.conf"
        path.write_text(text)
        os.chmod(path, 0o644)

    def start_frr(self, daemon):
        d = self.frr_dir
        argv = [str(FRR / daemon)]
        if daemon == "zebra":
            argv += ["-M", "dplane_fpm_nl"]
        argv += ["-f", str(d / f"{daemon}.conf"), "-i", str(d / f"{daemon}.pid"), "-u", "frr",
                 "-g", "frr", "--vty_socket", str(d), "-z", str(d / "zserv.api")]
        self.daemons[daemon] = self._popen(argv, self.workdir / f"{daemon}.log")
        return self.daemons[daemon]

    def kill_frr(self, daemon):
        p = self.daemons.pop(daemon)
        os.kill(p.pid, signal.SIGKILL)
        p.wait(10)

    def vtysh(self, *commands, daemon=None):
        args = ["vtysh", "--vty_socket", str(self.frr_dir)]
        if daemon:
            args += ["-d", daemon]
        for c in commands:
            args += ["-c", c]
        return sh(*args, ns=self.ns, check=False, timeout=20).stdout

    def stop(self):
        for p in list(self.daemons.values()) + ([self.weftd] if self.weftd else []):
            if p.poll() is None:
                os.kill(p.pid, signal.SIGKILL)
                p.wait(10)
        self.daemons = {}
        self.dp.stop()
        self.dp.stop_tap_keeper()
        shutil.rmtree(self.frr_dir, ignore_errors=True)

    # Reads ----------------------------------------------------------------------------------
    def log(self, what="weftd"):
        path = self.weftd_log if what == "weftd" else self.workdir / f"{what}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def routes(self):
        """prefix -> route as the data plane holds it (owner weftd)."""
        c = self.dp.client
        out = {}
        for resp in c.routes.ListRoutes(api.dp.ListRoutesRequest(), timeout=10):
            for r in resp.routes:
                out[f"{api.ipaddress.ip_address(r.prefix.address)}/{r.prefix.length}"] = r
        return out

    def groups(self):
        resp = self.dp.client.groups.ListNexthopGroups(api.dp.ListNexthopGroupsRequest(),
                                                       timeout=10)
        return {g.id: g for g in resp.groups}

    def fpm_status(self):
        """weftd's FPM session status over its Management API (weft.routing.v1)."""
        from weft.routing.v1 import routing_pb2, routing_pb2_grpc
        with api.grpc.insecure_channel(f"unix:{self.workdir}/weftd.sock") as ch:
            return routing_pb2_grpc.RoutingServiceStub(ch).GetFpmStatus(
                routing_pb2.GetFpmStatusRequest(), timeout=5)

    def tables(self):
        return self.dp.client.all_counters().tables

    def nexthops(self, prefix):
        """Sorted "address@port" of the data plane's route for `prefix`; None when absent."""
        r = self.routes().get(prefix)
        if r is None:
            return None
        which = r.WhichOneof("action")
        if which == "nexthop":
            members = [r.nexthop]
        elif which == "nexthop_group_id":
            g = self.groups().get(r.nexthop_group_id)
            members = [m.nexthop for m in g.members] if g else []
        else:
            return [which]
        return sorted(f"{api.ipaddress.ip_address(n.address.address)}@{n.port}" for n in members)
