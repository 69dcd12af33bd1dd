"""Helpers that act inside host namespaces: run the packet tool, ping, iperf3."""
import json
import os
import pathlib
import signal
import subprocess
import tempfile
import time

from .netns import sh

PKT = str(pathlib.Path(__file__).resolve().parents[1] / "tools" / "pkt.py")


def pkt(ns, *args, timeout=60):
    r = sh("/usr/bin/python3", PKT, *[str(a) for a in args], ns=ns, timeout=timeout)
    return json.loads(r.stdout.strip().splitlines()[-1])


def pkt_background(ns, *args):
    return subprocess.Popen(["ip", "netns", "exec", ns, "/usr/bin/python3", PKT,
                             *[str(a) for a in args]], stdout=subprocess.PIPE, text=True)


def pkt_started(ns, *args, timeout=20):
    """Starts a sniff or udp-sink (give it a long --seconds) and returns once it captures or
    listens: on a loaded machine the tool can take seconds to start, longer than any fixed sleep."""
    fd, ready = tempfile.mkstemp(prefix="weft-pkt-ready-")
    os.close(fd)
    os.unlink(ready)
    proc = pkt_background(ns, *args, "--ready-file", ready)
    deadline = time.monotonic() + timeout
    while not os.path.exists(ready):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"pkt.py {args[0]} in {ns} did not start within {timeout} s")
        time.sleep(0.05)
    os.unlink(ready)
    return proc


def stop(proc, linger=0.5, timeout=30):
    """Ends a started sniff or sink after `linger` seconds (packets still in flight) and returns
    what it counted."""
    time.sleep(linger)
    proc.send_signal(signal.SIGTERM)
    return collect(proc, timeout=timeout)


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
