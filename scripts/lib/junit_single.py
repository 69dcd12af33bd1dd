#!/usr/bin/python3
"""Writes a one-case JUnit report for a command that is not a test runner (e.g. a fuzz run).

usage: junit_single.py OUT SUITE CASE EXIT_STATUS [LOG]
"""
import sys
import xml.etree.ElementTree as ET

out, suite, case, status = sys.argv[1:5]
log = open(sys.argv[5], errors="replace").read()[-8000:] if len(sys.argv) > 5 else ""
ts = ET.Element("testsuite", name=suite, tests="1", failures="0" if status == "0" else "1")
tc = ET.SubElement(ts, "testcase", classname=suite, name=case)
if status != "0":
    ET.SubElement(tc, "failure", message=f"exit status {status}").text = log
ET.ElementTree(ts).write(out, encoding="unicode")
