#!/usr/bin/python3
"""Sums JUnit XML reports (meson's testlog.junit.xml, pytest's --junitxml) into one line.

Prints one line per report and, last, the totals as `N passed, N failed[, N skipped]`.
Exits 1 when anything failed or a report is missing.
"""
import sys
import xml.etree.ElementTree as ET


def count(path):
    passed = failed = skipped = 0
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        kinds = {child.tag for child in case}
        if kinds & {"failure", "error"}:
            failed += 1
        elif "skipped" in kinds:
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def main(args):
    total = [0, 0, 0]
    ok = True
    for spec in args:
        label, _, path = spec.partition("=")
        try:
            p, f, s = count(path)
        except (OSError, ET.ParseError) as e:
            print(f"{label}: no report ({e})")
            total[1] += 1
            ok = False
            continue
        print(f"{label}: {p} passed, {f} failed, {s} skipped")
        total = [total[0] + p, total[1] + f, total[2] + s]
    line = f"{total[0]} passed, {total[1]} failed"
    if total[2]:
        line += f", {total[2]} skipped"
    print(line)
    return 0 if ok and total[1] == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
