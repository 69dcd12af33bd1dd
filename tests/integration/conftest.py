"""Integration tests: real weft-dataplane processes in network namespaces made by the tests.

They need root, the built tree (WEFT_BUILD, default build/) and Debian's iproute2, iperf3, scapy.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from lib import netns  # noqa: E402
from lib.dataplane import BINARY  # noqa: E402


def pytest_sessionstart(session):
    netns.remove_leftovers()


def pytest_sessionfinish(session, exitstatus):
    netns.remove_leftovers()


@pytest.fixture(scope="session", autouse=True)
def _needs_root_and_binary():
    if os.geteuid() != 0:
        pytest.fail("integration tests need root (network namespaces)")
    if not BINARY.exists():
        pytest.fail(f"{BINARY} is not built")
