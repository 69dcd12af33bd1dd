"""Helpers that act inside host namespaces: run the packet tool, ping, iperf3."""
import json
import pathlib
import subprocess

from .netns import sh

PKT = str(pathlib.Path(__file__).resolve().parents[1] / "tools" / "pkt.py")


def pkt(ns, *args, timeout=60):
    r = sh("/usr/bin/python3", PKT, *[str(a) for a in args], ns=ns, timeout=timeout)
    return json.loads(r.stdout.strip().splitlines()[-1])


def pkt_background(ns, *args):
    return subprocess.Popen(["ip", "netns", "exec", ns, "/usr/bin/python3", PKT,
                             *[str(a) for a in args]], stdout=subprocess.PIPE, text=True)


def collect(proc, timeout=60):
    out, _ = proc.communicate(timeout=timeout)
    return json.loads(out.strip().splitlines()[-1])


def ping(ns, dst, count=3, size=None, dont_fragment=False, timeout=20):
    args = ["ping", "-c", str(count), "-i", "0.2", "-W", "1", dst]
    if size:
        args[1:1] = ["-s", str(size)]
    if dont_fragment:
        args[1:1] = ["-M", "do"]
    return sh(*args, ns=ns, check=False, timeout=timeout)
