#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "dataplane/api/batch.h"
#include "dataplane/api/convert.h"
#include "dataplane/api/services.h"

namespace weft::dp::api {
namespace {

void FillPort(const Port& port, const PortCounterValues& v, pb::PortCounters* out) {
  out->set_port(port.name);
  out->set_rx_packets(v.rx_packets);
  out->set_rx_bytes(v.rx_bytes);
  out->set_tx_packets(v.tx_packets);
  out->set_tx_bytes(v.tx_bytes);
  out->set_punted_packets(v.punted);
  out->set_injected_packets(v.injected);
  // Every reason, zero or not: clients and dashboards get a stable set of keys.
  auto& drops = *out->mutable_drops();
  for (size_t r = 0; r < kNumDropReasons; ++r) {
    drops[DropReasonName(static_cast<DropReason>(r))] = v.drops[r];
  }
}

void FillTables(const TableStats& s, pb::TableCounters* out) {
  out->set_ipv4_routes(s.ipv4_routes);
  out->set_ipv6_routes(s.ipv6_routes);
  out->set_nexthop_groups(s.groups);
  out->set_neighbors(s.neighbors);
  out->set_route_adds(s.route_adds);
  out->set_route_replaces(s.route_replaces);
  out->set_route_deletes(s.route_deletes);
  out->set_route_unchanged(s.route_unchanged);
  out->set_group_adds(s.group_adds);
  out->set_group_replaces(s.group_replaces);
  out->set_group_deletes(s.group_deletes);
  out->set_group_unchanged(s.group_unchanged);
  out->set_neighbor_adds(s.neighbor_adds);
  out->set_neighbor_replaces(s.neighbor_replaces);
  out->set_neighbor_deletes(s.neighbor_deletes);
  out->set_neighbor_unchanged(s.neighbor_unchanged);
}

}  // namespace

Status CounterServiceImpl::GetCounters(ServerContext*, const pb::GetCountersRequest* request,
                                       pb::GetCountersResponse* response) {
  std::vector<uint16_t> selected;
  if (request->ports().empty()) {
    for (uint16_t i = 0; i < ports_.size(); ++i) selected.push_back(i);
  }
  for (int i = 0; i < request->ports_size(); ++i) {
    auto index = PortIndexFromName(ports_, request->ports(i), absl::StrCat("ports[", i, "]"));
    if (!index.ok()) return ToGrpcStatus(index.status());
    selected.push_back(*index);
  }
  for (uint16_t p : selected) {
    FillPort(ports_.at(p), counters_.ReadPort(p), response->add_ports());
  }

  // Member counters are kept by member index; the group's current members name the next hops.
  absl::flat_hash_map<uint32_t, GroupEntry> groups;
  for (GroupEntry& g : tables_.ListGroups()) groups.emplace(g.id, std::move(g));
  for (const MemberCounterValues& m : counters_.ReadAllGroupMembers()) {
    pb::MemberCounters* out = response->add_members();
    out->set_group_id(m.group_id);
    auto it = groups.find(m.group_id);
    if (it != groups.end() && m.member < it->second.members.size()) {
      NexthopToProto(it->second.members[m.member].nexthop, ports_, out->mutable_nexthop());
    }
    out->set_packets(m.packets);
    out->set_bytes(m.bytes);
  }

  FillTables(tables_.Stats(), response->mutable_tables());
  const auto switch_drops = counters_.ReadSwitchDrops();
  auto& drops = *response->mutable_drops();
  for (size_t r = 0; r < kNumDropReasons; ++r) {
    drops[DropReasonName(static_cast<DropReason>(r))] = switch_drops[r];
  }
  return Status::OK;
}

}  // namespace weft::dp::api
