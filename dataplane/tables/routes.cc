// ForwardingTables routes: batched writes through the two FIB copies, listing and lookup.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "dataplane/tables/tables_impl.h"

namespace weft::dp {
namespace {

IpAddress MaskAddress(const IpAddress& a, int length) {
  IpAddress m = a;
  for (int i = 0; i < 16; ++i) {
    int keep = std::clamp(length - i * 8, 0, 8);
    m.bytes[i] &= static_cast<uint8_t>(0xff00 >> keep);
  }
  return m;
}

}  // namespace

absl::Status ForwardingTablesImpl::WriteRoutes(const std::string& owner_name,
                                               std::span<const RouteWrite> writes,
                                               std::vector<absl::Status>* results) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint16_t owner = OwnerId(owner_name);
  absl::Status valid = ValidateRoutes(owner, writes, results);
  if (!valid.ok()) return valid;

  // Phase 1: take references on implicit groups and compute FIB ops; nothing visible yet.
  std::vector<FibOp> ops;
  ops.reserve(writes.size());
  std::vector<uint8_t> changed(writes.size(), 0);
  std::vector<GroupViewPtr> retired;
  auto undo_acquired = [&](size_t upto) {
    for (size_t k = 0; k < upto; ++k)
      if (changed[k] && writes[k].op != WriteOp::kDelete &&
          writes[k].route.action.kind == RouteKind::kNexthop)
        ReleaseImplicit(writes[k].route.action.nexthop, &retired);
  };
  for (size_t i = 0; i < writes.size(); ++i) {
    const RouteWrite& w = writes[i];
    const IpPrefix& p = w.route.prefix;
    const RouteRec* cur = FindRoute(p);
    if (w.op != WriteOp::kDelete && cur && cur->action == w.route.action && cur->owner == owner) {
      ++stats_.route_unchanged;
      continue;
    }
    changed[i] = 1;
    if (w.op != WriteOp::kDelete && w.route.action.kind == RouteKind::kNexthop) {
      absl::StatusOr<uint32_t> slot = AcquireImplicit(w.route.action.nexthop);
      if (!slot.ok()) {
        changed[i] = 0;
        undo_acquired(i);
        absl::Status e = absl::ResourceExhaustedError(
            absl::StrCat("writes[", i, "].route.action.nexthop: ", slot.status().message()));
        if (results) {
          for (auto& r : *results) r = absl::AbortedError("not applied: batch rejected");
          (*results)[i] = e;
        }
        FinishRetire(&retired);
        return e;
      }
    }
    if (p.length == p.address.bits() && local_hosts_.contains(p.address)) continue;  // stays punt
    FibOp op;
    op.v6 = !p.address.is_v4();
    op.length = p.length;
    op.address = p.address.bytes;
    op.old_value = cur ? RouteValue(cur->action) : kFibNoRoute;
    op.value = w.op == WriteOp::kDelete ? kFibNoRoute
               : w.route.action.kind == RouteKind::kNexthop
                   ? kFibGroupBase + implicit_.at(w.route.action.nexthop).slot
               : w.route.action.kind == RouteKind::kGroup
                   ? kFibGroupBase + groups_.at(w.route.action.group_id).slot
                   : RouteValue(w.route.action);
    if (op.value == op.old_value) continue;
    op.write_index = static_cast<uint32_t>(i);
    ops.push_back(op);
  }

  // Phase 2: publish through the two FIB copies.
  size_t failed = 0;
  absl::Status applied = ApplyFibOps(ops, &failed);
  if (!applied.ok()) {
    undo_acquired(writes.size());
    const size_t wi = ops[failed].write_index;
    absl::Status e(applied.code(),
                   absl::StrCat("writes[", wi, "].route.prefix: ", applied.message()));
    if (results) {
      for (auto& r : *results) r = absl::AbortedError("not applied: batch rejected");
      (*results)[wi] = e;
    }
    FinishRetire(&retired);
    return e;
  }

  // Phase 3: commit writer state; drop references the old actions held.
  for (size_t i = 0; i < writes.size(); ++i) {
    if (!changed[i]) continue;
    const RouteWrite& w = writes[i];
    const IpPrefix& p = w.route.prefix;
    const bool v4 = p.address.is_v4();
    std::optional<RouteAction> old_action;
    if (const RouteRec* cur = FindRoute(p)) old_action = cur->action;
    if (w.op == WriteOp::kDelete) {
      if (v4)
        routes4_.erase(V4Key(p));
      else
        routes6_.erase(p);
      ++stats_.route_deletes;
    } else {
      RouteRec rec{w.route.action, owner};
      if (v4)
        routes4_[V4Key(p)] = rec;
      else
        routes6_[p] = rec;
      if (w.route.action.kind == RouteKind::kGroup) AddRouteRef(w.route.action);
      ++(old_action ? stats_.route_replaces : stats_.route_adds);
    }
    if (old_action) ReleaseRouteRef(*old_action, &retired);
  }
  FinishRetire(&retired);
  return absl::OkStatus();
}

void ForwardingTablesImpl::ListRoutes(const std::function<bool(const RouteEntry&)>& visit) const {
  std::lock_guard<std::mutex> lock(mu_);
  RouteEntry e;
  for (const auto& [key, rec] : routes4_) {
    e.prefix = V4Prefix(key);
    e.action = rec.action;
    e.owner = owners_[rec.owner];
    if (!visit(e)) return;
  }
  for (const auto& [prefix, rec] : routes6_) {
    e.prefix = prefix;
    e.action = rec.action;
    e.owner = owners_[rec.owner];
    if (!visit(e)) return;
  }
}

std::optional<RouteEntry> ForwardingTablesImpl::LookupRoute(uint32_t table_id,
                                                            const IpAddress& a) const {
  if (table_id != 0) return std::nullopt;
  std::lock_guard<std::mutex> lock(mu_);
  RouteEntry e;
  if (local_hosts_.contains(a)) {
    e.prefix = {a, static_cast<uint8_t>(a.bits())};
    e.action.kind = RouteKind::kPunt;
    for (const auto& [key, rec] : locals_)
      if (key.address == a) {
        e.owner = owners_[rec.owner];
        break;
      }
    return e;
  }
  for (int len = a.bits(); len >= 0; --len) {
    IpPrefix p{MaskAddress(a, len), static_cast<uint8_t>(len)};
    if (const RouteRec* r = FindRoute(p)) {
      e.prefix = p;
      e.action = r->action;
      e.owner = owners_[r->owner];
      return e;
    }
  }
  return std::nullopt;
}

}  // namespace weft::dp
