// TrafficManagerService through a real gRPC server: a valid configuration is applied with its
// defaults filled in; every invalid one is INVALID_ARGUMENT (NOT_FOUND for an unknown port) naming
// the request field, and changes nothing; storm injection and counters.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "dataplane/tm/switch_tm.h"
#include "tests/dataplane/api/api_fixture.h"

namespace weft::dp::testing {
namespace {

using grpc::StatusCode;

class TmApiTest : public ApiTest {
 public:
  void SetUp() override {
    ApiTest::SetUp();
    static int instance = 0;
    std::vector<rte_ether_addr> macs;
    for (uint16_t i = 0; i < sw_.ports.size(); ++i) macs.push_back(sw_.ports.at(i).mac);
    auto tm = tm::SwitchTrafficManager::Create(clock_, sw_.ports.size(), macs,
                                               "tmapi" + std::to_string(instance++), {});
    ASSERT_TRUE(tm.ok()) << tm.status();
    sw_.tm = *std::move(tm);
    stub_ = pb::TrafficManagerService::NewStub(channel_);
  }
  void TearDown() override {
    sw_.tm.reset();
    ApiTest::TearDown();
  }

  grpc::Status Set(const pb::SetTrafficManagerRequest& request) {
    pb::SetTrafficManagerResponse response;
    return stub_->SetTrafficManager(Ctx().get(), request, &response);
  }
  pb::SetTrafficManagerRequest Get() {
    pb::GetTrafficManagerResponse response;
    EXPECT_TRUE(stub_->GetTrafficManager(Ctx().get(), {}, &response).ok());
    return response.config();
  }

  // Ethernet4 shaped at 100 Mb/s with WRED on TC 3 and PFC on priority 3.
  static pb::SetTrafficManagerRequest Valid() {
    pb::SetTrafficManagerRequest r;
    r.mutable_buffer()->set_pool_bytes(4 << 20);
    pb::PortTrafficManager* p = r.add_ports();
    p->set_port("Ethernet4");
    p->set_enabled(true);
    p->mutable_shaper()->set_rate_bps(100'000'000);
    for (int tc = 0; tc < 8; ++tc) {
      pb::TmQueue* q = p->add_queues();
      q->set_scheduling(tc >= 6 ? pb::TM_SCHEDULING_STRICT : pb::TM_SCHEDULING_DWRR);
      q->set_dwrr_weight(tc + 1);
    }
    pb::TmWred* w = p->mutable_queues(3)->mutable_wred();
    w->set_enabled(true);
    w->set_kmin_bytes(10'000);
    w->set_kmax_bytes(50'000);
    w->set_pmax(0.2);
    for (int prio = 0; prio < 8; ++prio) p->add_priorities()->set_enabled(prio == 3);
    p->mutable_watchdog()->set_action(pb::TM_STORM_ACTION_ALERT);
    return r;
  }

  MonotonicClock clock_;
  std::unique_ptr<pb::TrafficManagerService::Stub> stub_;
};

TEST_F(TmApiTest, ValidConfigurationAppliedWithDefaultsFilled) {
  ASSERT_TRUE(Set(Valid()).ok());
  EXPECT_TRUE(sw_.tm->PortEnabled(1));
  EXPECT_FALSE(sw_.tm->PortEnabled(0));
  const pb::SetTrafficManagerRequest got = Get();
  ASSERT_EQ(got.ports_size(), 1);
  const pb::PortTrafficManager& p = got.ports(0);
  EXPECT_EQ(p.shaper().burst_bytes(), 12'500u) << "default burst: 1 ms at the rate";
  EXPECT_EQ(p.queue_capacity_packets(), 1024u);
  EXPECT_EQ(p.priorities(3).xoff_bytes(), 12'500u);
  EXPECT_EQ(p.priorities(3).xon_bytes(), 6'250u);
  EXPECT_EQ(p.priorities(3).pause_quanta(), 65535u);
  EXPECT_EQ(p.priorities(3).refresh_interval_ns(), 335'539'200u / 2);
  EXPECT_EQ(p.watchdog().detection_time_ns(), 200'000'000u);
  EXPECT_EQ(got.buffer().pool_bytes(), 4u << 20);

  // Counters: by default every port with a traffic manager, 8 queues and 8 priorities each.
  pb::GetTrafficManagerCountersResponse counters;
  ASSERT_TRUE(stub_->GetTrafficManagerCounters(Ctx().get(), {}, &counters).ok());
  ASSERT_EQ(counters.ports_size(), 1);
  EXPECT_EQ(counters.ports(0).port(), "Ethernet4");
  EXPECT_TRUE(counters.ports(0).enabled());
  EXPECT_EQ(counters.ports(0).queues_size(), 8);
  EXPECT_EQ(counters.ports(0).priorities_size(), 8);
  pb::GetTrafficManagerCountersRequest named;
  named.add_ports("Ethernet0");
  pb::GetTrafficManagerCountersResponse one;
  ASSERT_TRUE(stub_->GetTrafficManagerCounters(Ctx().get(), named, &one).ok());
  ASSERT_EQ(one.ports_size(), 1);
  EXPECT_EQ(one.ports(0).port(), "Ethernet0");
  EXPECT_FALSE(one.ports(0).enabled());
  named.add_ports("Ethernet99");
  pb::GetTrafficManagerCountersResponse none;
  EXPECT_EQ(stub_->GetTrafficManagerCounters(Ctx().get(), named, &none).error_code(),
            StatusCode::NOT_FOUND);

  // QoS maps reach the classify stage's shared map.
  pb::SetTrafficManagerRequest with_maps = Valid();
  for (int d = 0; d < 64; ++d) with_maps.mutable_qos_maps()->add_dscp_to_tc(d == 26 ? 5 : 0);
  ASSERT_TRUE(Set(with_maps).ok());
  EXPECT_EQ(sw_.qos.dscp_to_tc[26].load(), 5);
  EXPECT_EQ(sw_.qos.dscp_to_tc[46].load(), 0);

  // An empty request turns every port's traffic manager off again.
  ASSERT_TRUE(Set(pb::SetTrafficManagerRequest()).ok());
  EXPECT_EQ(sw_.tm->enabled_mask(), 0u);
}

TEST_F(TmApiTest, StormInjection) {
  ASSERT_TRUE(Set(Valid()).ok());
  pb::InjectPfcStormRequest r;
  pb::InjectPfcStormResponse response;
  r.set_port("Ethernet0");
  r.set_priority(3);
  grpc::Status s = stub_->InjectPfcStorm(Ctx().get(), r, &response);
  EXPECT_EQ(s.error_code(), StatusCode::FAILED_PRECONDITION) << s.error_message();
  r.set_port("Ethernet4");
  r.set_priority(8);
  s = stub_->InjectPfcStorm(Ctx().get(), r, &response);
  EXPECT_EQ(s.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("priority"), std::string::npos) << s.error_message();
  r.set_priority(3);
  EXPECT_TRUE(stub_->InjectPfcStorm(Ctx().get(), r, &response).ok());
  EXPECT_EQ(sw_.tm->TakeInjections(1), 1u << 3) << "handed to the owner worker";
}

struct Case {
  std::string what;
  std::function<void(pb::SetTrafficManagerRequest&)> change;
  StatusCode code;
  std::string field;  // what the message must name
};

TEST_F(TmApiTest, InvalidRequestsNameTheFieldAndChangeNothing) {
  pb::SetTrafficManagerRequest base = Valid();
  ASSERT_TRUE(Set(base).ok());
  const std::string before = Get().SerializeAsString();
  auto port = [](pb::SetTrafficManagerRequest& r) { return r.mutable_ports(0); };
  const std::vector<Case> cases = {
      {"rate above the maximum", [&](auto& r) { port(r)->mutable_shaper()->set_rate_bps(2'000'000'000'000ULL); },
       StatusCode::INVALID_ARGUMENT, "ports[0].shaper.rate_bps"},
      {"burst too large",
       [&](auto& r) { port(r)->mutable_shaper()->set_burst_bytes(uint64_t{1} << 30); },
       StatusCode::INVALID_ARGUMENT, "ports[0].shaper.burst_bytes"},
      {"unshaped rate on a shaped port",
       [&](auto& r) { port(r)->mutable_shaper()->set_unshaped_rate_bps(1000); },
       StatusCode::INVALID_ARGUMENT, "ports[0].shaper.unshaped_rate_bps"},
      {"three queues", [&](auto& r) { port(r)->mutable_queues()->DeleteSubrange(3, 5); },
       StatusCode::INVALID_ARGUMENT, "ports[0].queues: 3 entries"},
      {"kmin above kmax",
       [&](auto& r) { port(r)->mutable_queues(3)->mutable_wred()->set_kmin_bytes(60'000); },
       StatusCode::INVALID_ARGUMENT, "ports[0].queues[3].wred.kmin_bytes"},
      {"pmax above 1", [&](auto& r) { port(r)->mutable_queues(3)->mutable_wred()->set_pmax(1.5); },
       StatusCode::INVALID_ARGUMENT, "ports[0].queues[3].wred.pmax"},
      {"negative pmax",
       [&](auto& r) { port(r)->mutable_queues(3)->mutable_wred()->set_pmax(-0.1); },
       StatusCode::INVALID_ARGUMENT, "ports[0].queues[3].wred.pmax"},
      {"unknown non-ECT action",
       [&](auto& r) {
         port(r)->mutable_queues(2)->mutable_wred()->set_non_ect(pb::TmNonEctAction(7));
       },
       StatusCode::INVALID_ARGUMENT, "ports[0].queues[2].wred.non_ect"},
      {"DWRR weight too large", [&](auto& r) { port(r)->mutable_queues(1)->set_dwrr_weight(5000); },
       StatusCode::INVALID_ARGUMENT, "ports[0].queues[1].dwrr_weight"},
      {"unknown scheduling",
       [&](auto& r) { port(r)->mutable_queues(1)->set_scheduling(pb::TmScheduling(9)); },
       StatusCode::INVALID_ARGUMENT, "ports[0].queues[1].scheduling"},
      {"queue capacity too large",
       [&](auto& r) { port(r)->set_queue_capacity_packets(1u << 21); },
       StatusCode::INVALID_ARGUMENT, "ports[0].queue_capacity_packets"},
      {"XON not below XOFF",
       [&](auto& r) {
         port(r)->mutable_priorities(3)->set_xoff_bytes(5000);
         port(r)->mutable_priorities(3)->set_xon_bytes(5000);
       },
       StatusCode::INVALID_ARGUMENT, "ports[0].priorities[3].xon_bytes"},
      {"pause quanta beyond 16 bits",
       [&](auto& r) { port(r)->mutable_priorities(3)->set_pause_quanta(70000); },
       StatusCode::INVALID_ARGUMENT, "ports[0].priorities[3].pause_quanta"},
      {"refresh not shorter than the pause",
       [&](auto& r) { port(r)->mutable_priorities(3)->set_refresh_interval_ns(400'000'000); },
       StatusCode::INVALID_ARGUMENT, "ports[0].priorities[3].refresh_interval_ns"},
      {"seven priorities", [&](auto& r) { port(r)->mutable_priorities()->RemoveLast(); },
       StatusCode::INVALID_ARGUMENT, "ports[0].priorities: 7 entries"},
      {"unknown storm action",
       [&](auto& r) { port(r)->mutable_watchdog()->set_action(pb::TmStormAction(42)); },
       StatusCode::INVALID_ARGUMENT, "ports[0].watchdog.action"},
      {"alpha out of range",
       [&](auto& r) {
         for (int i = 0; i < 8; ++i) r.mutable_buffer()->add_queues()->set_alpha_log2(i == 2 ? 9 : 0);
       },
       StatusCode::INVALID_ARGUMENT, "buffer.queues[2].alpha_log2"},
      {"pool smaller than the headroom", [&](auto& r) { r.mutable_buffer()->set_pool_bytes(50'000); },
       StatusCode::INVALID_ARGUMENT, "buffer.pool_bytes"},
      {"headroom on a lossy priority group",
       [&](auto& r) {
         for (int i = 0; i < 8; ++i)
           r.mutable_buffer()->add_priority_groups()->set_headroom_bytes(i == 5 ? 1000 : 0);
       },
       StatusCode::INVALID_ARGUMENT, "buffer.priority_groups[5].headroom_bytes"},
      {"DSCP map entry out of range",
       [&](auto& r) {
         for (int d = 0; d < 64; ++d) r.mutable_qos_maps()->add_dscp_to_tc(d == 10 ? 9 : 0);
       },
       StatusCode::INVALID_ARGUMENT, "qos_maps.dscp_to_tc[10]"},
      {"PCP map of the wrong size", [&](auto& r) { r.mutable_qos_maps()->add_pcp_to_tc(1); },
       StatusCode::INVALID_ARGUMENT, "qos_maps.pcp_to_tc: 1 entries"},
      {"a port listed twice",
       [&](auto& r) {
         const pb::PortTrafficManager copy = r.ports(0);
         *r.add_ports() = copy;
       },
       StatusCode::INVALID_ARGUMENT, "ports[1].port"},
      {"unknown port", [&](auto& r) { port(r)->set_port("Ethernet99"); }, StatusCode::NOT_FOUND,
       "ports[0].port"},
      {"an error in the second port names it",
       [&](auto& r) {
         pb::PortTrafficManager* p = r.add_ports();
         p->set_port("Ethernet8");
         p->set_enabled(true);
         p->mutable_watchdog()->set_detection_time_ns(0);
         p->mutable_watchdog()->set_action(pb::TmStormAction(5));
       },
       StatusCode::INVALID_ARGUMENT, "ports[1].watchdog.action"},
  };
  for (const Case& c : cases) {
    pb::SetTrafficManagerRequest r = base;
    c.change(r);
    const grpc::Status s = Set(r);
    EXPECT_EQ(s.error_code(), c.code) << c.what << ": " << s.error_message();
    EXPECT_NE(s.error_message().find(c.field), std::string::npos)
        << c.what << ": \"" << s.error_message() << "\" does not name " << c.field;
    EXPECT_EQ(Get().SerializeAsString(), before) << c.what << ": a refused request changed it";
    EXPECT_EQ(sw_.tm->enabled_mask(), 2u) << c.what;
  }
}

}  // namespace
}  // namespace weft::dp::testing
