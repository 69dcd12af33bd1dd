#include "tests/dataplane/api/fake_tables.h"

#include "absl/strings/str_cat.h"

namespace weft::dp::testing {
namespace {

// Applies `writes` to a copy of `table` keyed by `key(entry)`; all-or-nothing.
template <class Map, class Write, class KeyOf, class EntryOf, class Check>
absl::Status ApplyBatch(Map& table, const std::string& owner, std::span<const Write> writes,
                        std::vector<absl::Status>* results, KeyOf key_of, EntryOf entry_of,
                        Check check) {
  Map next = table;
  results->assign(writes.size(), absl::OkStatus());
  absl::Status first;
  for (size_t i = 0; i < writes.size(); ++i) {
    const std::string field = absl::StrCat("writes[", i, "]");
    auto entry = entry_of(writes[i]);
    entry.owner = owner;
    auto key = key_of(entry);
    absl::Status s = check(writes[i], field, next);
    auto it = next.find(key);
    if (s.ok()) {
      if (writes[i].op == WriteOp::kAdd && it != next.end()) {
        s = absl::AlreadyExistsError(absl::StrCat(field, ": entry exists"));
      } else if (writes[i].op == WriteOp::kDelete && it == next.end()) {
        s = absl::NotFoundError(absl::StrCat(field, ": no such entry"));
      } else if (it != next.end() && it->second.owner != owner) {
        s = absl::FailedPreconditionError(
            absl::StrCat(field, ": owned by \"", it->second.owner, "\""));
      }
    }
    if (!s.ok()) {
      (*results)[i] = s;
      if (first.ok()) first = s;
      continue;
    }
    if (writes[i].op == WriteOp::kDelete) {
      next.erase(it);
    } else {
      next[key] = entry;
    }
  }
  if (first.ok()) table.swap(next);
  return first;
}

auto NoCheck = [](const auto&, const std::string&, const auto&) { return absl::OkStatus(); };

}  // namespace

absl::Status FakeForwardingTables::WriteRoutes(const std::string& owner,
                                               std::span<const RouteWrite> writes,
                                               std::vector<absl::Status>* results) {
  std::lock_guard lock(mu_);
  return ApplyBatch(
      routes_, owner, writes, results,
      [](const RouteEntry& r) { return RouteKey(r.table_id, r.prefix); },
      [](const RouteWrite& w) { return w.route; },
      [this](const RouteWrite& w, const std::string& field, const auto&) {
        if (w.route.table_id != 0) {
          return absl::InvalidArgumentError(absl::StrCat(field, ".route.table_id: only 0"));
        }
        if (w.op != WriteOp::kDelete && w.route.action.kind == RouteKind::kGroup &&
            !groups_.contains(w.route.action.group_id)) {
          return absl::NotFoundError(absl::StrCat(field, ".route.nexthop_group_id: unknown"));
        }
        return absl::OkStatus();
      });
}

absl::Status FakeForwardingTables::WriteGroups(const std::string& owner,
                                               std::span<const GroupWrite> writes,
                                               std::vector<absl::Status>* results) {
  std::lock_guard lock(mu_);
  return ApplyBatch(
      groups_, owner, writes, results, [](const GroupEntry& g) { return g.id; },
      [](const GroupWrite& w) { return w.group; },
      [this](const GroupWrite& w, const std::string& field, const auto&) {
        if (w.op == WriteOp::kDelete) {
          for (const auto& [key, r] : routes_) {
            if (r.action.kind == RouteKind::kGroup && r.action.group_id == w.group.id) {
              return absl::FailedPreconditionError(absl::StrCat(field, ": group in use"));
            }
          }
        }
        return absl::OkStatus();
      });
}

absl::Status FakeForwardingTables::WriteNeighbors(const std::string& owner,
                                                  std::span<const NeighborWrite> writes,
                                                  std::vector<absl::Status>* results) {
  std::lock_guard lock(mu_);
  return ApplyBatch(
      neighbors_, owner, writes, results,
      [](const NeighborEntry& n) { return NeighborKey(n.port, n.address); },
      [](const NeighborWrite& w) { return w.neighbor; }, NoCheck);
}

absl::Status FakeForwardingTables::WriteLocalAddresses(const std::string& owner,
                                                       std::span<const LocalAddressWrite> writes,
                                                       std::vector<absl::Status>* results) {
  std::lock_guard lock(mu_);
  return ApplyBatch(
      locals_, owner, writes, results,
      [](const LocalAddressEntry& l) { return LocalKey(l.port, l.prefix); },
      [](const LocalAddressWrite& w) { return w.local; }, NoCheck);
}

absl::Status FakeForwardingTables::SetHashConfig(const HashConfig& config) {
  std::lock_guard lock(mu_);
  hash_ = config;
  return absl::OkStatus();
}

void FakeForwardingTables::ListRoutes(const std::function<bool(const RouteEntry&)>& visit) const {
  std::lock_guard lock(mu_);
  for (const auto& [key, r] : routes_) {
    if (!visit(r)) return;
  }
}

std::optional<RouteEntry> FakeForwardingTables::LookupRoute(uint32_t table_id,
                                                            const IpAddress& a) const {
  std::lock_guard lock(mu_);
  std::optional<RouteEntry> best;
  for (const auto& [key, r] : routes_) {
    if (r.table_id != table_id || r.prefix.address.family != a.family) continue;
    bool match = true;
    for (int bit = 0; bit < r.prefix.length && match; ++bit) {
      const uint8_t mask = 0x80u >> (bit % 8);
      match = (a.bytes[bit / 8] & mask) == (r.prefix.address.bytes[bit / 8] & mask);
    }
    if (match && (!best || r.prefix.length > best->prefix.length)) best = r;
  }
  return best;
}

std::vector<GroupEntry> FakeForwardingTables::ListGroups() const {
  std::lock_guard lock(mu_);
  std::vector<GroupEntry> out;
  for (const auto& [id, g] : groups_) out.push_back(g);
  return out;
}

std::vector<NeighborEntry> FakeForwardingTables::ListNeighbors() const {
  std::lock_guard lock(mu_);
  std::vector<NeighborEntry> out;
  for (const auto& [key, n] : neighbors_) out.push_back(n);
  return out;
}

std::vector<LocalAddressEntry> FakeForwardingTables::ListLocalAddresses() const {
  std::lock_guard lock(mu_);
  std::vector<LocalAddressEntry> out;
  for (const auto& [key, l] : locals_) out.push_back(l);
  return out;
}

TableStats FakeForwardingTables::Stats() const {
  std::lock_guard lock(mu_);
  TableStats s;
  for (const auto& [key, r] : routes_) ++(r.prefix.address.is_v4() ? s.ipv4_routes : s.ipv6_routes);
  s.groups = groups_.size();
  s.neighbors = neighbors_.size();
  return s;
}

}  // namespace weft::dp::testing
