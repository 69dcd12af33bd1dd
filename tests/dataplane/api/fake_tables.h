// In-memory ForwardingTables for developing the API tests before dp-core's tables link. Follows the
// contract of forwarding_tables.h on the control side only (no snapshot, no RCU). Used only where
// the real tables are not available.
#pragma once

#include <map>
#include <mutex>
#include <tuple>

#include "dataplane/tables/forwarding_tables.h"

namespace weft::dp::testing {

class FakeForwardingTables final : public ForwardingTables {
 public:
  absl::Status WriteRoutes(const std::string& owner, std::span<const RouteWrite> writes,
                           std::vector<absl::Status>* results) override;
  absl::Status WriteGroups(const std::string& owner, std::span<const GroupWrite> writes,
                           std::vector<absl::Status>* results) override;
  absl::Status WriteNeighbors(const std::string& owner, std::span<const NeighborWrite> writes,
                              std::vector<absl::Status>* results) override;
  absl::Status WriteLocalAddresses(const std::string& owner,
                                   std::span<const LocalAddressWrite> writes,
                                   std::vector<absl::Status>* results) override;
  absl::Status SetHashConfig(const HashConfig& config) override;
  void SetPortUp(uint16_t, bool) override {}
  void ListRoutes(const std::function<bool(const RouteEntry&)>& visit) const override;
  std::optional<RouteEntry> LookupRoute(uint32_t table_id, const IpAddress& a) const override;
  std::vector<GroupEntry> ListGroups() const override;
  std::vector<NeighborEntry> ListNeighbors() const override;
  std::vector<LocalAddressEntry> ListLocalAddresses() const override;
  TableStats Stats() const override;
  rte_rcu_qsbr* qsbr() override { return nullptr; }
  const TablesSnapshot* snapshot() const override { return nullptr; }

  HashConfig hash() const {
    std::lock_guard lock(mu_);
    return hash_;
  }

 private:
  using RouteKey = std::tuple<uint32_t, IpPrefix>;
  using NeighborKey = std::tuple<uint16_t, IpAddress>;
  using LocalKey = std::tuple<uint16_t, IpPrefix>;

  mutable std::mutex mu_;
  std::map<RouteKey, RouteEntry> routes_;
  std::map<uint32_t, GroupEntry> groups_;
  std::map<NeighborKey, NeighborEntry> neighbors_;
  std::map<LocalKey, LocalAddressEntry> locals_;
  HashConfig hash_;
  TableStats stats_;
};

}  // namespace weft::dp::testing
