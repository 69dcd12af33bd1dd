// Whole-batch validation: every entry is checked against the current state and the rest of the
// batch before anything changes. Messages name the entry and field, e.g.
// "writes[3].route.prefix: host bits set beyond /24".
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "dataplane/tables/tables_impl.h"

namespace weft::dp {
namespace {

std::string Field(size_t i, const char* what) { return absl::StrCat("writes[", i, "].", what); }

// Fills `results` (one per entry). The first failing entry's status is returned; entries that
// were valid are reported ABORTED so that the caller sees nothing was applied.
absl::Status Finish(std::vector<absl::Status>& errors, std::vector<absl::Status>* results) {
  size_t first = errors.size();
  for (size_t i = 0; i < errors.size(); ++i)
    if (!errors[i].ok()) {
      first = i;
      break;
    }
  if (results) {
    results->assign(errors.size(), absl::OkStatus());
    if (first < errors.size())
      for (size_t i = 0; i < errors.size(); ++i)
        (*results)[i] =
            errors[i].ok()
                ? absl::AbortedError(absl::StrCat("not applied: writes[", first, "] is invalid"))
                : errors[i];
  }
  return first < errors.size() ? errors[first] : absl::OkStatus();
}

absl::Status CheckBatchSize(size_t n) {
  if (n > kMaxBatchEntries)
    return absl::InvalidArgumentError(
        absl::StrCat("writes: ", n, " entries exceed the batch limit of ", kMaxBatchEntries));
  return absl::OkStatus();
}

absl::Status CheckAddress(const IpAddress& a, const std::string& field) {
  if (a.family != Family::kIpv4 && a.family != Family::kIpv6)
    return absl::InvalidArgumentError(absl::StrCat(field, ": address family unspecified"));
  if (a.is_v4())
    for (int b = 4; b < 16; ++b)
      if (a.bytes[b] != 0)
        return absl::InvalidArgumentError(
            absl::StrCat(field, ": IPv4 address with bytes beyond the 4th"));
  return absl::OkStatus();
}

bool IsZero(const IpAddress& a) {
  for (uint8_t b : a.bytes)
    if (b) return false;
  return true;
}

}  // namespace

absl::Status ForwardingTablesImpl::ValidatePort(uint16_t port, const std::string& field) const {
  if (port >= num_ports_)
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": port ", port, " out of range (switch has ", num_ports_, " ports)"));
  return absl::OkStatus();
}

absl::Status ForwardingTablesImpl::ValidatePrefix(const IpPrefix& p,
                                                  const std::string& field) const {
  absl::Status s = CheckAddress(p.address, field);
  if (!s.ok()) return s;
  if (p.length > p.address.bits())
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": length /", p.length, " exceeds ", p.address.bits()));
  for (int i = 0; i < 16; ++i) {
    int keep = std::clamp(int(p.length) - i * 8, 0, 8);
    if (p.address.bytes[i] & static_cast<uint8_t>(~(0xff00 >> keep)))
      return absl::InvalidArgumentError(absl::StrCat(field, ": host bits set beyond /", p.length));
  }
  return absl::OkStatus();
}

absl::Status ForwardingTablesImpl::ValidateRoutes(uint16_t owner,
                                                  std::span<const RouteWrite> writes,
                                                  std::vector<absl::Status>* results) const {
  if (absl::Status s = CheckBatchSize(writes.size()); !s.ok()) return s;
  std::vector<absl::Status> errors(writes.size());
  absl::flat_hash_map<IpPrefix, size_t, IpPrefixHash> seen;
  int64_t v4_count = routes4_.size(), v6_count = routes6_.size();
  for (size_t i = 0; i < writes.size(); ++i) {
    const RouteWrite& w = writes[i];
    const IpPrefix& p = w.route.prefix;
    const std::string pf = Field(i, "route.prefix");
    absl::Status& e = errors[i];
    if (w.route.table_id != 0) {
      e = absl::InvalidArgumentError(absl::StrCat(Field(i, "route.table_id"), ": table ",
                                                  w.route.table_id,
                                                  " does not exist (only table 0)"));
      continue;
    }
    if (e = ValidatePrefix(p, pf); !e.ok()) continue;
    auto [it, fresh] = seen.emplace(p, i);
    if (!fresh) {
      e = absl::InvalidArgumentError(
          absl::StrCat(pf, ": ", p.ToString(), " duplicates writes[", it->second, "]"));
      continue;
    }
    const RouteRec* cur = FindRoute(p);
    if (w.op == WriteOp::kAdd && cur) {
      e = absl::AlreadyExistsError(absl::StrCat(pf, ": ", p.ToString(), " already exists"));
      continue;
    }
    if (w.op == WriteOp::kDelete && !cur) {
      e = absl::NotFoundError(absl::StrCat(pf, ": ", p.ToString(), " not found"));
      continue;
    }
    if (cur && cur->owner != owner) {
      e = absl::FailedPreconditionError(
          absl::StrCat(pf, ": ", p.ToString(), " is owned by \"", owners_[cur->owner], "\""));
      continue;
    }
    int64_t& count = p.address.is_v4() ? v4_count : v6_count;
    if (w.op == WriteOp::kDelete) {
      --count;
      continue;
    }
    if (!cur && ++count > int64_t(p.address.is_v4() ? options_.max_ipv4_routes
                                                    : options_.max_ipv6_routes)) {
      e = absl::ResourceExhaustedError(absl::StrCat(pf, ": route table full"));
      continue;
    }
    const RouteAction& a = w.route.action;
    if (a.kind == RouteKind::kGroup) {
      if (a.group_id == 0)
        e = absl::InvalidArgumentError(
            absl::StrCat(Field(i, "route.action.group_id"), ": must be non-zero"));
      else if (!groups_.contains(a.group_id))
        e = absl::NotFoundError(
            absl::StrCat(Field(i, "route.action.group_id"), ": group ", a.group_id, " not found"));
    } else if (a.kind == RouteKind::kNexthop) {
      e = ValidatePort(a.nexthop.port, Field(i, "route.action.nexthop.port"));
      if (e.ok()) e = CheckAddress(a.nexthop.address, Field(i, "route.action.nexthop.address"));
    }
  }
  return Finish(errors, results);
}

absl::Status ForwardingTablesImpl::ValidateGroups(uint16_t owner,
                                                  std::span<const GroupWrite> writes,
                                                  std::vector<absl::Status>* results) const {
  if (absl::Status s = CheckBatchSize(writes.size()); !s.ok()) return s;
  std::vector<absl::Status> errors(writes.size());
  absl::flat_hash_map<uint32_t, size_t> seen;
  size_t new_groups = 0;
  for (size_t i = 0; i < writes.size(); ++i) {
    const GroupWrite& w = writes[i];
    const std::string idf = Field(i, "group.id");
    absl::Status& e = errors[i];
    if (w.group.id == 0) {
      e = absl::InvalidArgumentError(absl::StrCat(idf, ": must be non-zero"));
      continue;
    }
    auto [sit, fresh] = seen.emplace(w.group.id, i);
    if (!fresh) {
      e = absl::InvalidArgumentError(
          absl::StrCat(idf, ": group ", w.group.id, " duplicates writes[", sit->second, "]"));
      continue;
    }
    auto it = groups_.find(w.group.id);
    if (w.op == WriteOp::kAdd && it != groups_.end()) {
      e = absl::AlreadyExistsError(absl::StrCat(idf, ": group ", w.group.id, " already exists"));
      continue;
    }
    if (w.op == WriteOp::kDelete && it == groups_.end()) {
      e = absl::NotFoundError(absl::StrCat(idf, ": group ", w.group.id, " not found"));
      continue;
    }
    if (it != groups_.end() && it->second.owner != owner) {
      e = absl::FailedPreconditionError(absl::StrCat(idf, ": group ", w.group.id, " is owned by \"",
                                                     owners_[it->second.owner], "\""));
      continue;
    }
    if (w.op == WriteOp::kDelete) {
      if (it->second.refs > 0)
        e = absl::FailedPreconditionError(
            absl::StrCat(idf, ": group ", w.group.id, " is used by ", it->second.refs, " routes"));
      continue;
    }
    const auto& members = w.group.members;
    const std::string mf = Field(i, "group.members");
    if (members.empty() || members.size() > kMaxGroupMembers) {
      e = absl::InvalidArgumentError(
          absl::StrCat(mf, ": ", members.size(), " members, must be 1..", kMaxGroupMembers));
      continue;
    }
    for (size_t j = 0; j < members.size() && e.ok(); ++j) {
      const std::string mj = absl::StrCat(mf, "[", j, "]");
      e = ValidatePort(members[j].nexthop.port, mj + ".nexthop.port");
      if (e.ok()) e = CheckAddress(members[j].nexthop.address, mj + ".nexthop.address");
      if (e.ok() && (members[j].weight < 1 || members[j].weight > 255))
        e = absl::InvalidArgumentError(
            absl::StrCat(mj, ".weight: ", members[j].weight, " not in 1..255"));
      for (size_t k = 0; k < j && e.ok(); ++k)
        if (members[k].nexthop == members[j].nexthop)
          e = absl::InvalidArgumentError(absl::StrCat(mj, ".nexthop: duplicates members[", k, "]"));
    }
    if (e.ok() && it == groups_.end() && ++new_groups > free_slots_.size())
      e = absl::ResourceExhaustedError(absl::StrCat(idf, ": no free next-hop group slot"));
  }
  return Finish(errors, results);
}

absl::Status ForwardingTablesImpl::ValidateNeighbors(uint16_t owner,
                                                     std::span<const NeighborWrite> writes,
                                                     std::vector<absl::Status>* results) const {
  if (absl::Status s = CheckBatchSize(writes.size()); !s.ok()) return s;
  std::vector<absl::Status> errors(writes.size());
  absl::flat_hash_map<NexthopKey, size_t, NexthopKeyHash> seen;
  for (size_t i = 0; i < writes.size(); ++i) {
    const NeighborWrite& w = writes[i];
    const NexthopKey key{w.neighbor.port, w.neighbor.address};
    const std::string af = Field(i, "neighbor.address");
    absl::Status& e = errors[i];
    if (e = ValidatePort(key.port, Field(i, "neighbor.port")); !e.ok()) continue;
    if (e = CheckAddress(key.address, af); !e.ok()) continue;
    if (IsZero(key.address)) {
      e = absl::InvalidArgumentError(absl::StrCat(af, ": unspecified address"));
      continue;
    }
    auto [sit, fresh] = seen.emplace(key, i);
    if (!fresh) {
      e = absl::InvalidArgumentError(absl::StrCat(af, ": ", key.address.ToString(), " on port ",
                                                  key.port, " duplicates writes[", sit->second,
                                                  "]"));
      continue;
    }
    auto it = neighbors_.find(key);
    if (w.op == WriteOp::kAdd && it != neighbors_.end()) {
      e = absl::AlreadyExistsError(
          absl::StrCat(af, ": ", key.address.ToString(), " already exists"));
      continue;
    }
    if (w.op == WriteOp::kDelete && it == neighbors_.end()) {
      e = absl::NotFoundError(absl::StrCat(af, ": ", key.address.ToString(), " not found"));
      continue;
    }
    if (it != neighbors_.end() && it->second.owner != owner) {
      e = absl::FailedPreconditionError(absl::StrCat(
          af, ": ", key.address.ToString(), " is owned by \"", owners_[it->second.owner], "\""));
      continue;
    }
    if (w.op != WriteOp::kDelete &&
        (rte_is_zero_ether_addr(&w.neighbor.mac) || !rte_is_unicast_ether_addr(&w.neighbor.mac)))
      e = absl::InvalidArgumentError(absl::StrCat(Field(i, "neighbor.mac"), ": not a unicast MAC"));
  }
  return Finish(errors, results);
}

absl::Status ForwardingTablesImpl::ValidateLocals(uint16_t owner,
                                                  std::span<const LocalAddressWrite> writes,
                                                  std::vector<absl::Status>* results) const {
  if (absl::Status s = CheckBatchSize(writes.size()); !s.ok()) return s;
  std::vector<absl::Status> errors(writes.size());
  absl::flat_hash_map<NexthopKey, size_t, NexthopKeyHash> seen;
  for (size_t i = 0; i < writes.size(); ++i) {
    const LocalAddressWrite& w = writes[i];
    const NexthopKey key{w.local.port, w.local.prefix.address};
    const std::string pf = Field(i, "local.prefix");
    absl::Status& e = errors[i];
    if (e = ValidatePort(key.port, Field(i, "local.port")); !e.ok()) continue;
    if (e = CheckAddress(key.address, pf); !e.ok()) continue;
    if (IsZero(key.address)) {
      e = absl::InvalidArgumentError(absl::StrCat(pf, ": unspecified address"));
      continue;
    }
    if (w.local.prefix.length > key.address.bits()) {
      e = absl::InvalidArgumentError(
          absl::StrCat(pf, ": length /", w.local.prefix.length, " exceeds ", key.address.bits()));
      continue;
    }
    auto [sit, fresh] = seen.emplace(key, i);
    if (!fresh) {
      e = absl::InvalidArgumentError(absl::StrCat(pf, ": duplicates writes[", sit->second, "]"));
      continue;
    }
    auto it = locals_.find(key);
    if (w.op == WriteOp::kAdd && it != locals_.end())
      e = absl::AlreadyExistsError(
          absl::StrCat(pf, ": ", key.address.ToString(), " already exists on port ", key.port));
    else if (w.op == WriteOp::kDelete && it == locals_.end())
      e = absl::NotFoundError(
          absl::StrCat(pf, ": ", key.address.ToString(), " not found on port ", key.port));
    else if (it != locals_.end() && it->second.owner != owner)
      e = absl::FailedPreconditionError(absl::StrCat(
          pf, ": ", key.address.ToString(), " is owned by \"", owners_[it->second.owner], "\""));
  }
  return Finish(errors, results);
}

}  // namespace weft::dp
