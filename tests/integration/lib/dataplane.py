"""Starts weft-dataplane inside a switch namespace, as a user would, and stops it again."""
import json
import os
import pathlib
import signal
import subprocess
import time

from . import api

BINARY = api.BUILD / "dataplane" / "weft-dataplane"


class Dataplane:
    def __init__(self, ns, name, ports, workdir, create_taps=True, lcores=None):
        """ports: list of (port_name, veth_name_in_ns, mtu)."""
        self.ns = ns
        self.name = name
        self.workdir = pathlib.Path(workdir)
        self.run_dir = self.workdir / "run"
        self.socket = self.run_dir / "dataplane.sock"
        self.log = self.workdir / "dataplane.log"
        self.config_path = self.workdir / "dataplane.json"
        self.config = {
            "eal": {"file_prefix": f"wt-{name}-{os.getpid()}", "no_huge": True, "memory_mb": 1024},
            "switches": [{
                "name": name,
                "api_socket": f"unix:{self.socket}",
                "run_dir": str(self.run_dir),
                "create_taps": create_taps,
                # Small tables keep --no-huge memory small; benchmarks use the large defaults.
                "fib_max_ipv4_routes": 100000,
                "fib_max_ipv6_routes": 10000,
                "ports": [{"name": p, "vdev": f"net_af_packet,iface={ifname}",
                           "link_netdev": ifname, "mtu": mtu} for p, ifname, mtu in ports],
            }],
        }
        if lcores:
            self.config["eal"]["worker_lcores"] = lcores
        self.proc = None
        self.client = None

    def start(self, timeout=30):
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(json.dumps(self.config, indent=2))
        logf = open(self.log, "ab")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, str(BINARY), "--config", str(self.config_path)],
            stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"weft-dataplane exited with {self.proc.returncode}:\n"
                                   + self.log.read_text()[-4000:])
            if self.socket.exists():
                self.client = api.DataplaneClient(f"unix:{self.socket}")
                try:
                    self.client.switch.GetInfo(api.dp.GetInfoRequest(), timeout=2)
                    return self
                except api.grpc.RpcError:
                    self.client.close()
                    self.client = None
            time.sleep(0.1)
        raise RuntimeError("weft-dataplane did not serve its API in time:\n"
                           + self.log.read_text()[-4000:])

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.client:
            self.client.close()
            self.client = None
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        return self.proc.returncode if self.proc else None

    def stop_tap_keeper(self):
        """The TAP keeper outlives the data plane by design; tests end it explicitly."""
        subprocess.run([str(BINARY), "--stop-tap-keeper", str(self.run_dir)], check=False)
