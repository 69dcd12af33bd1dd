"""Python stubs of Weft's gRPC APIs, generated from proto/ at test time, and small helpers."""
import ipaddress
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[3]
BUILD = pathlib.Path(os.environ.get("WEFT_BUILD", ROOT / "build"))
PYOUT = BUILD / "pyproto"


def _generate():
    protos = sorted(str(p.relative_to(ROOT / "proto")) for p in (ROOT / "proto").rglob("*.proto"))
    stamp = PYOUT / ".stamp"
    newest = max((ROOT / "proto" / p).stat().st_mtime for p in protos)
    if stamp.exists() and stamp.stat().st_mtime >= newest:
        return
    PYOUT.mkdir(parents=True, exist_ok=True)
    subprocess.run(["protoc", f"--proto_path={ROOT / 'proto'}", f"--python_out={PYOUT}",
                    f"--grpc_python_out={PYOUT}",
                    "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin", *protos],
                   check=True, cwd=ROOT / "proto")
    stamp.touch()


_generate()
sys.path.insert(0, str(PYOUT))

import grpc  # noqa: E402
from weft.dataplane.v1 import dataplane_pb2 as dp  # noqa: E402,F401
from weft.dataplane.v1 import dataplane_pb2_grpc as dp_grpc  # noqa: E402
from weft.dataplane.v1 import load_balancing_pb2 as lb  # noqa: E402,F401
from weft.dataplane.v1 import load_balancing_pb2_grpc as lb_grpc  # noqa: E402
from weft.dataplane.v1 import types_pb2 as types  # noqa: E402,F401


def addr(text):
    return types.IpAddress(address=ipaddress.ip_address(text).packed)


def prefix(text):
    net = ipaddress.ip_network(text, strict=True)
    return types.IpPrefix(address=net.network_address.packed, length=net.prefixlen)


def mac_bytes(text):
    return bytes(int(x, 16) for x in text.split(":"))


class DataplaneClient:
    """All services of one weft-dataplane instance over its unix socket."""

    def __init__(self, target, owner="test"):
        self.channel = grpc.insecure_channel(target)
        self.owner = owner
        self.switch = dp_grpc.SwitchServiceStub(self.channel)
        self.ports = dp_grpc.PortServiceStub(self.channel)
        self.routes = dp_grpc.RouteServiceStub(self.channel)
        self.groups = dp_grpc.NexthopGroupServiceStub(self.channel)
        self.neighbors = dp_grpc.NeighborServiceStub(self.channel)
        self.local = dp_grpc.LocalAddressServiceStub(self.channel)
        self.counters = dp_grpc.CounterServiceStub(self.channel)
        self.tm = dp_grpc.TrafficManagerServiceStub(self.channel)
        self.lb = lb_grpc.LoadBalancingServiceStub(self.channel)

    def close(self):
        self.channel.close()

    # Writes --------------------------------------------------------------------------------
    def add_local(self, port, cidr):
        w = dp.LocalAddressWrite(op=types.WRITE_OP_REPLACE, local_address=dp.LocalAddress(
            port=port, prefix=types.IpPrefix(
                address=ipaddress.ip_interface(cidr).ip.packed,
                length=ipaddress.ip_interface(cidr).network.prefixlen)))
        return self.local.WriteLocalAddresses(
            dp.WriteLocalAddressesRequest(owner=self.owner, writes=[w]), timeout=10)

    def add_neighbor(self, port, ip, mac):
        w = dp.NeighborWrite(op=types.WRITE_OP_REPLACE, neighbor=dp.Neighbor(
            port=port, address=addr(ip), mac=mac_bytes(mac)))
        return self.neighbors.WriteNeighbors(
            dp.WriteNeighborsRequest(owner=self.owner, writes=[w]), timeout=10)

    def add_route(self, cidr, port=None, via=None, group=None, op=types.WRITE_OP_REPLACE):
        r = dp.Route(table_id=0, prefix=prefix(cidr))
        if group is not None:
            r.nexthop_group_id = group
        else:
            r.nexthop.CopyFrom(types.Nexthop(port=port, address=addr(via)))
        return self.routes.WriteRoutes(dp.WriteRoutesRequest(
            owner=self.owner, writes=[dp.RouteWrite(op=op, route=r)]), timeout=30)

    def add_group(self, gid, members, mode=0, resilient=False):
        g = dp.NexthopGroup(id=gid, members=[
            dp.NexthopGroupMember(nexthop=types.Nexthop(port=p, address=addr(a)), weight=w)
            for p, a, w in members], load_balance_mode=mode, resilient=resilient)
        return self.groups.WriteNexthopGroups(dp.WriteNexthopGroupsRequest(
            owner=self.owner, writes=[dp.NexthopGroupWrite(op=types.WRITE_OP_REPLACE, group=g)]),
            timeout=10)

    # Reads ---------------------------------------------------------------------------------
    def port_status(self):
        return {p.name: p for p in self.ports.ListPorts(dp.ListPortsRequest(), timeout=10).ports}

    def port_counters(self):
        resp = self.counters.GetCounters(dp.GetCountersRequest(), timeout=10)
        return {p.port: p for p in resp.ports}

    def all_counters(self):
        return self.counters.GetCounters(dp.GetCountersRequest(), timeout=10)
