// ForwardingTables: creation, the two-copy FIB publication scheme and small settings.
//
// Why two copies: DPDK 22.11's rte_fib/rte_fib6 recycle a tbl8 group the moment a route delete
// empties it, so a lookup running concurrently may read a zeroed or reused group. Workers therefore
// read only the active copy; a batch is applied to the standby copy, the active pointer is switched
// with one store, and after an RCU grace period (no worker still on the old copy) the same batch
// is replayed on the old copy so both are identical again. A copy a write fails on is rebuilt
// from the writer's maps instead (see ApplyFibOps).
#include <rte_errno.h>
#include <rte_malloc.h>

#include <algorithm>
#include <atomic>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "dataplane/tables/tables_impl.h"

namespace weft::dp {
namespace {

// A symmetric hash swaps source and destination, so both of a pair must be in or out.
absl::Status ValidateSymmetric(uint32_t fields) {
  if (!(fields & kHashSymmetric)) return absl::OkStatus();
  if (bool(fields & kHashSrcIp) != bool(fields & kHashDstIp))
    return absl::InvalidArgumentError(
        "symmetric: needs source and destination address both selected or both not");
  if (bool(fields & kHashSrcPort) != bool(fields & kHashDstPort))
    return absl::InvalidArgumentError(
        "symmetric: needs source and destination port both selected or both not");
  return absl::OkStatus();
}

std::atomic<uint32_t> g_fib_name_seq{0};  // rte_fib names must be unique in the process

}  // namespace

absl::StatusOr<std::unique_ptr<ForwardingTables>> ForwardingTables::Create(
    const TablesOptions& options, uint16_t num_ports) {
  if (num_ports > kMaxPorts) return absl::InvalidArgumentError("num_ports exceeds kMaxPorts");
  if (options.max_groups == 0 || options.max_groups > (1u << 30))
    return absl::InvalidArgumentError("max_groups must be 1..2^30");
  if (options.max_readers == 0) return absl::InvalidArgumentError("max_readers must be >= 1");
  auto tables = std::make_unique<ForwardingTablesImpl>(options, num_ports);
  absl::Status s = tables->Init();
  if (!s.ok()) return s;
  return std::unique_ptr<ForwardingTables>(std::move(tables));
}

ForwardingTablesImpl::ForwardingTablesImpl(const TablesOptions& options, uint16_t num_ports)
    : options_(options), num_ports_(num_ports), counters_(options.counters) {}

ForwardingTablesImpl::~ForwardingTablesImpl() {
  for (int i = 0; i < 2; ++i) {
    if (fib4_[i]) rte_fib_free(fib4_[i]);
    if (fib6_[i]) rte_fib6_free(fib6_[i]);
  }
  rte_free(qsbr_);
}

absl::Status ForwardingTablesImpl::Init() {
  size_t qsbr_size = rte_rcu_qsbr_get_memsize(options_.max_readers);
  qsbr_ = static_cast<rte_rcu_qsbr*>(
      rte_zmalloc_socket("weft_tables_qsbr", qsbr_size, RTE_CACHE_LINE_SIZE, options_.socket_id));
  if (qsbr_ == nullptr)
    return absl::ResourceExhaustedError("cannot allocate the RCU QSBR variable");
  if (rte_rcu_qsbr_init(qsbr_, options_.max_readers) != 0)
    return absl::InternalError("rte_rcu_qsbr_init failed");

  num_slots_ = options_.max_groups;
  slots_ = std::make_unique<std::atomic<const NexthopGroupView*>[]>(num_slots_);
  for (uint32_t i = 0; i < num_slots_; ++i) slots_[i].store(nullptr, std::memory_order_relaxed);
  slot_views_.resize(num_slots_);
  for (uint32_t i = 0; i < num_slots_; ++i) free_slots_.push(i);

  for (int i = 0; i < 2; ++i) {
    if (absl::Status st = CreateFibCopy(i); !st.ok()) return st;
    snaps_[i].groups = slots_.get();
    snaps_[i].num_slots = num_slots_;
    snaps_[i].port_up_mask = &port_up_;
    snaps_[i].hash_config = &hash_config_;
  }
  active_index_ = 0;
  active_.store(&snaps_[0], std::memory_order_release);
  return absl::OkStatus();
}

absl::Status ForwardingTablesImpl::CreateFibCopy(int i) {
  // 2-byte next hops halve the 2^24-entry tbl24 (32 MB instead of 64 MB per copy) when they fit.
  // rte_fib/rte_fib6 also refuse more tbl8 groups than a next-hop value can count (32,767 for
  // 2 bytes): each table takes 2-byte next hops only where both fit.
  const bool small_nh = kFibGroupBase + num_slots_ < (1u << 15);
  const bool small_nh4 = small_nh && options_.ipv4_tbl8_groups < (1u << 15);
  const bool small_nh6 = small_nh && options_.ipv6_tbl8_groups < (1u << 15);
  const uint32_t seq = g_fib_name_seq.fetch_add(1);
  rte_fib_conf c4{};
  c4.type = RTE_FIB_DIR24_8;
  c4.default_nh = kFibNoRoute;
  c4.max_routes = static_cast<int>(options_.max_ipv4_routes);
  c4.dir24_8.nh_sz = small_nh4 ? RTE_FIB_DIR24_8_2B : RTE_FIB_DIR24_8_4B;
  c4.dir24_8.num_tbl8 = options_.ipv4_tbl8_groups;
  std::string name4 = absl::StrCat("wf4_", seq, "_", i);
  fib4_[i] = rte_fib_create(name4.c_str(), options_.socket_id, &c4);
  if (fib4_[i] == nullptr)
    return absl::ResourceExhaustedError(absl::StrCat("rte_fib_create (IPv4, ",
                                                     options_.max_ipv4_routes,
                                                     " routes): ", rte_strerror(rte_errno)));
  rte_fib6_conf c6{};
  c6.type = RTE_FIB6_TRIE;
  c6.default_nh = kFibNoRoute;
  c6.max_routes = static_cast<int>(options_.max_ipv6_routes);
  c6.trie.nh_sz = small_nh6 ? RTE_FIB6_TRIE_2B : RTE_FIB6_TRIE_4B;
  c6.trie.num_tbl8 = options_.ipv6_tbl8_groups;
  std::string name6 = absl::StrCat("wf6_", seq, "_", i);
  fib6_[i] = rte_fib6_create(name6.c_str(), options_.socket_id, &c6);
  if (fib6_[i] == nullptr)
    return absl::ResourceExhaustedError(absl::StrCat("rte_fib6_create (IPv6, ",
                                                     options_.max_ipv6_routes,
                                                     " routes): ", rte_strerror(rte_errno)));
  snaps_[i].fib4 = fib4_[i];
  snaps_[i].fib6 = fib6_[i];
  return absl::OkStatus();
}

int ForwardingTablesImpl::RebuildFibCopy(int copy, const std::vector<FibOp>& ops,
                                         size_t* failed_op) {
  // The content: every route of the maps at its effective value, local addresses without a route
  // of their own, then the batch's ops, which win over the maps for the same prefix.
  std::vector<FibOp> entries;
  entries.reserve(routes4_.size() + routes6_.size() + local_hosts_.size() + ops.size());
  auto add = [&](const IpPrefix& p) {
    FibOp e;
    e.v6 = !p.address.is_v4();
    e.length = p.length;
    e.address = p.address.bytes;
    e.value = EffectiveValue(p);
    e.old_value = kFibNoRoute;  // a fresh copy: every prefix is added once
    e.write_index = 0;
    entries.push_back(e);
  };
  for (const auto& [key, rec] : routes4_) add(V4Prefix(key));
  for (const auto& [prefix, rec] : routes6_) add(prefix);
  for (const auto& [address, refs] : local_hosts_) {
    IpPrefix host{address, static_cast<uint8_t>(address.bits())};
    if (FindRoute(host) == nullptr) add(host);
  }
  for (size_t i = 0; i < ops.size(); ++i) {
    FibOp e = ops[i];
    e.old_value = kFibNoRoute;
    e.write_index = static_cast<uint32_t>(i + 1);  // 0: from the maps
    entries.push_back(e);
  }
  // Address order, shorter prefixes before their more-specifics (as ApplyFibOps writes); for one
  // prefix the batch's entry last, and only the last entry of a prefix is written.
  std::stable_sort(entries.begin(), entries.end(), [](const FibOp& a, const FibOp& b) {
    if (a.v6 != b.v6) return a.v6 < b.v6;
    if (a.address != b.address) return a.address < b.address;
    if (a.length != b.length) return a.length < b.length;
    return a.write_index < b.write_index;
  });
  rte_fib_free(fib4_[copy]);
  rte_fib6_free(fib6_[copy]);
  fib4_[copy] = nullptr;
  fib6_[copy] = nullptr;
  ++stats_.fib_rebuilds;
  if (!CreateFibCopy(copy).ok()) return -ENOMEM;
  for (size_t i = 0; i < entries.size(); ++i) {
    const FibOp& e = entries[i];
    const bool superseded = i + 1 < entries.size() && entries[i + 1].v6 == e.v6 &&
                            entries[i + 1].address == e.address &&
                            entries[i + 1].length == e.length;
    if (superseded || e.value == kFibNoRoute) continue;
    if (int rc = FibApply(copy, e); rc < 0) {
      if (failed_op != nullptr && e.write_index > 0) *failed_op = e.write_index - 1;
      return rc;
    }
  }
  return 0;
}

IpPrefix ForwardingTablesImpl::V4Prefix(uint64_t key) {
  IpPrefix p;
  p.address = IpAddress::V4(static_cast<uint32_t>(key >> 8));
  p.length = static_cast<uint8_t>(key & 0xff);
  return p;
}

uint16_t ForwardingTablesImpl::OwnerId(const std::string& owner) {
  auto it = owner_ids_.find(owner);
  if (it != owner_ids_.end()) return it->second;
  uint16_t id = static_cast<uint16_t>(owners_.size());
  owners_.push_back(owner);
  owner_ids_.emplace(owner, id);
  return id;
}

const ForwardingTablesImpl::RouteRec* ForwardingTablesImpl::FindRoute(const IpPrefix& p) const {
  if (p.address.is_v4()) {
    auto it = routes4_.find(V4Key(p));
    return it == routes4_.end() ? nullptr : &it->second;
  }
  auto it = routes6_.find(p);
  return it == routes6_.end() ? nullptr : &it->second;
}

uint64_t ForwardingTablesImpl::RouteValue(const RouteAction& a) const {
  switch (a.kind) {
    case RouteKind::kDrop:
      return kFibDrop;
    case RouteKind::kPunt:
      return kFibPunt;
    case RouteKind::kGroup:
      return kFibGroupBase + groups_.at(a.group_id).slot;
    case RouteKind::kNexthop:
      return kFibGroupBase + implicit_.at(a.nexthop).slot;
  }
  return kFibDrop;
}

uint64_t ForwardingTablesImpl::EffectiveValue(const IpPrefix& p) const {
  if (p.length == p.address.bits() && local_hosts_.contains(p.address)) return kFibPunt;
  const RouteRec* r = FindRoute(p);
  return r ? RouteValue(r->action) : kFibNoRoute;
}

void ForwardingTablesImpl::Synchronize() {
  // The writer is not a reader: wait for every registered online worker to pass a quiescent point.
  rte_rcu_qsbr_synchronize(qsbr_, RTE_QSBR_THRID_INVALID);
}

int ForwardingTablesImpl::FibApply(int copy, const FibOp& op) {
  const uint64_t v = op.value;
  // A replace is a delete and an add (on a copy no worker reads, so the gap is never seen):
  // rte_fib(6)_add of a prefix already present returns 0 even when the rewrite needed a tbl8
  // group it could not get (more-specifics with the old value were never written on their own),
  // leaving the range half rewritten. A failed add is reported.
  if (op.old_value != kFibNoRoute && v != kFibNoRoute) {
    FibOp del = op;
    del.old_value = kFibNoRoute;
    del.value = kFibNoRoute;
    if (int rc = FibApply(copy, del); rc < 0) return rc;
  }
  if (!op.v6) {
    uint32_t ip = uint32_t(op.address[0]) << 24 | uint32_t(op.address[1]) << 16 |
                  uint32_t(op.address[2]) << 8 | op.address[3];
    if (v == kFibNoRoute) {
      int rc = rte_fib_delete(fib4_[copy], ip, op.length);
      return rc == -ENOENT ? 0 : rc;
    }
    return rte_fib_add(fib4_[copy], ip, op.length, v);
  }
  if (v == kFibNoRoute) {
    int rc = rte_fib6_delete(fib6_[copy], op.address.data(), op.length);
    return rc == -ENOENT ? 0 : rc;
  }
  return rte_fib6_add(fib6_[copy], op.address.data(), op.length, v);
}

absl::Status ForwardingTablesImpl::ApplyFibOps(std::vector<FibOp>& ops, size_t* failed_op) {
  if (ops.empty()) return absl::OkStatus();
  // Each prefix occurs once per batch, so the order does not change the result; address order
  // keeps the RIB walks of rte_fib_add cache-hot (random order is several times slower at 1M
  // routes), and shorter prefixes before their more-specifics spare rte_fib re-walking them.
  std::sort(ops.begin(), ops.end(), [](const FibOp& a, const FibOp& b) {
    if (a.v6 != b.v6) return a.v6 < b.v6;
    if (a.address != b.address) return a.address < b.address;
    return a.length < b.length;
  });
  // Incrementally onto the standby copy, or, when that is refused or the standby is stale, a
  // fresh standby built from the maps with the batch on top. rte_fib6 (DPDK 22.11) keeps a count
  // of reserved tbl8 groups that a delete does not give back (an add and delete of one /64 leaks
  // five), so after churn an incremental add can be refused although the groups are free; a
  // fresh copy starts the count from what it holds. A refused rte_fib(6)_add can also leave part
  // of its range written: the copy it failed on is never published as it is.
  const int standby = 1 - active_index_;
  bool incremental = !standby_stale_;
  for (size_t i = 0; incremental && i < ops.size(); ++i) {
    if (FibApply(standby, ops[i]) < 0) {
      incremental = false;
      *failed_op = i;
    }
  }
  if (!incremental) {
    if (int rc = RebuildFibCopy(standby, ops, failed_op); rc < 0) {
      // The batch does not fit. The standby holds a part of it: rebuilt before it is published.
      standby_stale_ = true;
      return absl::ResourceExhaustedError(
          absl::StrCat("FIB full (", rte_strerror(-rc), "): raise max routes or tbl8 groups"));
    }
    standby_stale_ = false;
  }
  active_.store(&snaps_[standby], std::memory_order_release);
  const int old = active_index_;
  active_index_ = standby;
  Synchronize();  // from here no worker reads the old copy
  // Bring the old copy to the same content: the same way the new active copy got it (so that the
  // two stay alike), or rebuilt if a replay is refused.
  bool replayed = incremental;
  for (size_t i = 0; replayed && i < ops.size(); ++i) replayed = FibApply(old, ops[i]) >= 0;
  if (!replayed && RebuildFibCopy(old, ops) < 0) {
    // The active copy holds the batch (it is committed); the old one could not be rebuilt with
    // it, so it is stale and the next batch rebuilds it before it is published.
    std::fprintf(stderr, "weft tables: second FIB copy could not hold the routes; rebuilt later\n");
    standby_stale_ = true;
  }
  return absl::OkStatus();
}

absl::Status ForwardingTablesImpl::SetHashConfig(const HashConfig& config) {
  constexpr uint32_t kKnown = kHashSrcIp | kHashDstIp | kHashIpProto | kHashSrcPort | kHashDstPort |
                              kHashFlowLabel | kHashRoceQp | kHashSymmetric;
  if (config.fields & ~kKnown)
    return absl::InvalidArgumentError(
        absl::StrCat("fields: unknown hash field bits 0x", absl::Hex(config.fields & ~kKnown)));
  if (absl::Status s = ValidateSymmetric(config.fields); !s.ok()) return s;
  hash_config_.store(PackHashConfig(config), std::memory_order_release);
  return absl::OkStatus();
}

void ForwardingTablesImpl::SetPortUp(uint16_t port, bool up) {
  if (port >= kMaxPorts) return;
  if (up)
    port_up_.fetch_or(uint64_t{1} << port, std::memory_order_release);
  else
    port_up_.fetch_and(~(uint64_t{1} << port), std::memory_order_release);
}

TableStats ForwardingTablesImpl::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  TableStats s = stats_;
  s.ipv4_routes = routes4_.size();
  s.ipv6_routes = routes6_.size();
  s.groups = groups_.size();
  s.neighbors = neighbors_.size();
  return s;
}

}  // namespace weft::dp
