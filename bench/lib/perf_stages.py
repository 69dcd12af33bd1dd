#!/usr/bin/python3
"""Attributes a program's perf samples to the source files they were inlined from, so a pipeline
of inline stage headers (parse.h, l3_lookup.h, ...) shows stage by stage where the cycles go.

usage: perf_stages.py PERF_DATA BINARY [TOP]
Prints one line: "<file> <share>% | ..." with shares of all samples in PERF_DATA (every program on
the CPU), the TOP (12) largest first. Each sample goes to the innermost frame of its inline chain
that is the program's own source (not a header under /usr: DPDK, libstdc++); needs debug info.
One perf script and one addr2line run: `perf report --sort srcfile` takes a minute per profile.
"""
import collections
import os
import re
import subprocess
import sys


def main():
    data, binary = sys.argv[1], os.path.realpath(sys.argv[2])
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 12
    script = subprocess.run(["perf", "script", "-i", data, "-F", "ip,sym,symoff,dso",
                             "--no-demangle"], capture_output=True, text=True).stdout.splitlines()
    total = len(script)
    sample = re.compile(r"^\s*[0-9a-f]+ (\S+)\+0x([0-9a-f]+) \((.*)\)$")
    offsets = collections.Counter()  # (symbol, offset) -> samples
    for line in script:
        m = sample.match(line)
        if m and os.path.realpath(m.group(3)) == binary:
            offsets[(m.group(1), int(m.group(2), 16))] += 1
    if not total or not offsets:
        print("no samples in %s" % os.path.basename(binary))
        return

    symbols = {}
    for line in subprocess.run(["nm", binary], capture_output=True, text=True).stdout.splitlines():
        parts = line.split()
        if len(parts) == 3:
            symbols[parts[2]] = int(parts[0], 16)
    by_addr = collections.Counter()
    for (sym, off), n in offsets.items():
        if sym in symbols:
            by_addr[symbols[sym] + off] += n
    addrs = sorted(by_addr)
    out = subprocess.run(["addr2line", "-a", "-i", "-e", binary],
                         input="".join("0x%x\n" % a for a in addrs),
                         capture_output=True, text=True).stdout.splitlines()

    # addr2line -a prints the address, then the inline chain (innermost first), one file:line each.
    chains, current = {}, None
    for line in out:
        if line.startswith("0x"):
            current = int(line, 16)
            chains[current] = []
        elif current is not None:
            chains[current].append(line.split(":")[0])
    # The program's own files: anything not installed under /usr (DPDK, libstdc++, abseil headers),
    # named from the repository's top-level directory on.
    top_dirs = re.compile(r"^(?:.*/)?((dataplane|controlplane|proto|bench)/.*)$")
    shares = collections.Counter()
    for addr, n in by_addr.items():
        files = [f for f in chains.get(addr, []) if f != "??"]
        own = [f for f in files if not f.startswith("/usr/")]
        if own:
            m = top_dirs.match(own[0])
            name = m.group(1) if m else os.path.basename(own[0])
        else:
            name = os.path.basename(files[0]) if files else "unknown"
        shares[name] += n
    print(" | ".join("%s %.1f%%" % (f, 100.0 * n / total) for f, n in shares.most_common(top)))


if __name__ == "__main__":
    main()
