"""Network namespaces and veth pairs for integration tests, removed again even when a test fails.

Every name starts with a per-suite prefix so that leftovers of an aborted run are found and
deleted before the next one starts (tests can run twice in a row).
"""
import json
import os
import subprocess

# Override (3 characters, e.g. "wa-") to run two suites side by side without one deleting the
# other's namespaces as leftovers.
PREFIX = os.environ.get("WEFT_TEST_PREFIX", "wt-")


def sh(*args, ns=None, check=True, timeout=30, capture=True):
    cmd = list(args)
    if ns:
        cmd = ["ip", "netns", "exec", ns] + cmd
    r = subprocess.run(cmd, capture_output=capture, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()}")
    return r


def list_namespaces():
    out = sh("ip", "-j", "netns", "list", check=False).stdout.strip()
    return [n["name"] for n in json.loads(out)] if out else []


def remove_leftovers(prefix=PREFIX):
    for ns in list_namespaces():
        if ns.startswith(prefix):
            # Kill whatever still runs in it (a crashed test's data plane) before deleting it.
            pids = sh("ip", "netns", "pids", ns, check=False).stdout.split()
            for pid in pids:
                sh("kill", "-9", pid, check=False)
            sh("ip", "netns", "del", ns, check=False)
    links = json.loads(sh("ip", "-j", "link", "show", check=False).stdout or "[]")
    for link in links:
        if link["ifname"].startswith(prefix):
            sh("ip", "link", "del", link["ifname"], check=False)


class Topology:
    """A set of namespaces joined by veth pairs. Use as a context manager."""

    def __init__(self, prefix=PREFIX):
        self.prefix = prefix
        self.namespaces = []
        self._n = 0

    def ns(self, short):
        name = self.prefix + short
        sh("ip", "netns", "add", name)
        self.namespaces.append(name)
        sh("ip", "link", "set", "lo", "up", ns=name)
        return name

    def link(self, ns_a, if_a, ns_b, if_b, mtu=None):
        """A veth pair with offloads off at both ends (TCP through af_packet needs it)."""
        self._n += 1
        tmp_a, tmp_b = f"{self.prefix}{self._n}a", f"{self.prefix}{self._n}b"
        sh("ip", "link", "add", tmp_a, "type", "veth", "peer", "name", tmp_b)
        for tmp, ns, ifname in ((tmp_a, ns_a, if_a), (tmp_b, ns_b, if_b)):
            sh("ip", "link", "set", tmp, "netns", ns)
            sh("ip", "-n", ns, "link", "set", tmp, "name", ifname)
            if mtu:
                sh("ip", "-n", ns, "link", "set", ifname, "mtu", str(mtu))
            sh("ethtool", "-K", ifname, "tx", "off", "tso", "off", "gso", "off", "rx", "off",
               ns=ns, check=False)
            sh("ip", "-n", ns, "link", "set", ifname, "up")

    def mute(self, ns, ifname):
        """The switch side of a port's veth: only the data plane may answer or forward there."""
        for key, val in ((f"net.ipv6.conf.{ifname}.disable_ipv6", "1"),
                         (f"net.ipv4.conf.{ifname}.arp_ignore", "8"),
                         (f"net.ipv4.conf.{ifname}.forwarding", "0")):
            sh("sysctl", "-qw", f"{key}={val}", ns=ns)

    def mac(self, ns, ifname):
        info = json.loads(sh("ip", "-j", "-n", ns, "link", "show", ifname).stdout)
        return info[0]["address"]

    def close(self):
        for ns in reversed(self.namespaces):
            for pid in sh("ip", "netns", "pids", ns, check=False).stdout.split():
                sh("kill", "-9", pid, check=False)
            sh("ip", "netns", "del", ns, check=False)
        self.namespaces = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
