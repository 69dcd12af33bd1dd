// In-process fake of the programmer's narrow DataplaneClient, for unit tests only. It keeps the
// Dataplane API's contract that matters to the programmer: owners, all-or-nothing batches,
// NOT_FOUND for a route naming an absent group, FAILED_PRECONDITION for deleting a group in use,
// INVALID_ARGUMENT for an unknown port, a boot epoch, and per-key write counts to measure churn.
#pragma once

#include <map>
#include <set>
#include <string>

#include "controlplane/programmer/dataplane_client.h"

namespace weft::cp::testing {

class FakeDataplane : public DataplaneClient {
 public:
  std::set<std::string> ports = {"Ethernet0", "Ethernet4", "Ethernet8"};
  uint64_t epoch = 1000;
  uint32_t max_batch = 65536;
  bool unavailable = false;
  std::map<std::string, dpv1::Route> routes;        // by RouteKeyText
  std::map<uint32_t, dpv1::NexthopGroup> groups;
  std::map<std::string, int> route_write_count;     // writes (incl. deletes) per route key
  int route_rpcs = 0, group_rpcs = 0, group_writes = 0;

  static std::string RouteKeyText(const dpv1::Route& r) {
    return std::to_string(r.table_id()) + "|" + r.prefix().address() + "|" +
           std::to_string(r.prefix().length());
  }
  void Restart() {
    routes.clear();
    groups.clear();
    ++epoch;
  }

  absl::StatusOr<dpv1::GetInfoResponse> GetInfo() override {
    if (unavailable) return absl::UnavailableError("connection refused");
    dpv1::GetInfoResponse r;
    r.set_boot_epoch(epoch);
    r.set_max_batch_entries(max_batch);
    return r;
  }

  absl::Status WriteNexthopGroups(const dpv1::WriteNexthopGroupsRequest& req) override {
    if (unavailable) return absl::UnavailableError("connection refused");
    ++group_rpcs;
    if (static_cast<uint32_t>(req.writes_size()) > max_batch) {
      return absl::InvalidArgumentError("batch too large");
    }
    auto next = groups;
    for (int i = 0; i < req.writes_size(); ++i) {
      const auto& w = req.writes(i);
      const uint32_t id = w.group().id();
      if (w.op() == dpv1::WRITE_OP_DELETE) {
        if (!next.count(id)) return absl::NotFoundError("writes[" + std::to_string(i) + "]");
        for (const auto& [k, r] : routes) {
          if (r.nexthop_group_id() == id) return absl::FailedPreconditionError("group in use");
        }
        next.erase(id);
        continue;
      }
      for (const auto& m : w.group().members()) {
        if (!ports.count(m.nexthop().port())) {
          return absl::InvalidArgumentError("writes[" + std::to_string(i) + "].members.port");
        }
      }
      next[id] = w.group();
      next[id].set_owner(req.owner());
    }
    groups = std::move(next);
    group_writes += req.writes_size();
    return absl::OkStatus();
  }

  absl::Status WriteRoutes(const dpv1::WriteRoutesRequest& req) override {
    if (unavailable) return absl::UnavailableError("connection refused");
    ++route_rpcs;
    if (static_cast<uint32_t>(req.writes_size()) > max_batch) {
      return absl::InvalidArgumentError("batch too large");
    }
    auto next = routes;
    for (int i = 0; i < req.writes_size(); ++i) {
      const auto& w = req.writes(i);
      const std::string key = RouteKeyText(w.route());
      const std::string where = "writes[" + std::to_string(i) + "]";
      if (next.count(key) && next[key].owner() != req.owner()) {
        return absl::FailedPreconditionError(where + " owned by another client");
      }
      if (w.op() == dpv1::WRITE_OP_DELETE) {
        if (!next.erase(key)) return absl::NotFoundError(where);
        continue;
      }
      if (w.route().has_nexthop_group_id() && !groups.count(w.route().nexthop_group_id())) {
        return absl::NotFoundError(where + ".route.nexthop_group_id");
      }
      if (w.route().has_nexthop() && !ports.count(w.route().nexthop().port())) {
        return absl::InvalidArgumentError(where + ".route.nexthop.port");
      }
      next[key] = w.route();
      next[key].set_owner(req.owner());
    }
    for (const auto& w : req.writes()) ++route_write_count[RouteKeyText(w.route())];
    routes = std::move(next);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<dpv1::Route>> ListRoutes(const std::string& owner) override {
    if (unavailable) return absl::UnavailableError("connection refused");
    std::vector<dpv1::Route> out;
    for (const auto& [k, r] : routes) {
      if (r.owner() == owner) out.push_back(r);
    }
    return out;
  }

  absl::StatusOr<std::vector<dpv1::NexthopGroup>> ListNexthopGroups(
      const std::string& owner) override {
    if (unavailable) return absl::UnavailableError("connection refused");
    std::vector<dpv1::NexthopGroup> out;
    for (const auto& [id, g] : groups) {
      if (g.owner() == owner) out.push_back(g);
    }
    return out;
  }

  std::map<std::string, dpv1::Neighbor> neighbors;  // by port|address
  int neighbor_writes = 0;

  absl::Status WriteNeighbors(const dpv1::WriteNeighborsRequest& req) override {
    if (unavailable) return absl::UnavailableError("connection refused");
    auto next = neighbors;
    for (int i = 0; i < req.writes_size(); ++i) {
      const auto& n = req.writes(i).neighbor();
      const std::string key = n.port() + "|" + n.address().address();
      if (req.writes(i).op() == dpv1::WRITE_OP_DELETE) {
        if (!next.erase(key)) return absl::NotFoundError("writes[" + std::to_string(i) + "]");
        continue;
      }
      if (!ports.count(n.port())) {
        return absl::InvalidArgumentError("writes[" + std::to_string(i) + "].neighbor.port");
      }
      if (n.mac().size() != 6) {
        return absl::InvalidArgumentError("writes[" + std::to_string(i) + "].neighbor.mac");
      }
      next[key] = n;
      next[key].set_owner(req.owner());
    }
    neighbors = std::move(next);
    neighbor_writes += req.writes_size();
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<dpv1::Neighbor>> ListNeighbors(const std::string& owner) override {
    if (unavailable) return absl::UnavailableError("connection refused");
    std::vector<dpv1::Neighbor> out;
    for (const auto& [k, n] : neighbors) {
      if (n.owner() == owner) out.push_back(n);
    }
    return out;
  }

  std::map<std::string, dpv1::LocalAddress> locals;  // by port|address|length

  absl::Status WriteLocalAddresses(const dpv1::WriteLocalAddressesRequest& req) override {
    if (unavailable) return absl::UnavailableError("connection refused");
    auto next = locals;
    for (int i = 0; i < req.writes_size(); ++i) {
      const auto& a = req.writes(i).local_address();
      const std::string key =
          a.port() + "|" + a.prefix().address() + "|" + std::to_string(a.prefix().length());
      if (req.writes(i).op() == dpv1::WRITE_OP_DELETE) {
        if (!next.erase(key)) return absl::NotFoundError("writes[" + std::to_string(i) + "]");
        continue;
      }
      if (!ports.count(a.port())) {
        return absl::InvalidArgumentError("writes[" + std::to_string(i) + "].local_address.port");
      }
      next[key] = a;
      next[key].set_owner(req.owner());
    }
    locals = std::move(next);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<dpv1::LocalAddress>> ListLocalAddresses(
      const std::string& owner) override {
    if (unavailable) return absl::UnavailableError("connection refused");
    std::vector<dpv1::LocalAddress> out;
    for (const auto& [k, a] : locals) {
      if (a.owner() == owner) out.push_back(a);
    }
    return out;
  }

  int TotalRouteWrites() const {
    int n = 0;
    for (const auto& [k, c] : route_write_count) n += c;
    return n;
  }
};

}  // namespace weft::cp::testing
