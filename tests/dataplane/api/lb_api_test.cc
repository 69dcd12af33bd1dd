// LoadBalancingService and the load-balancing fields of other services through a real gRPC
// server: validation names the field and changes nothing; settings read back as written.
#include <gtest/gtest.h>

#include "tests/dataplane/api/api_fixture.h"
#include "weft/dataplane/v1/load_balancing.grpc.pb.h"

namespace weft::dp::testing {
namespace {

using grpc::StatusCode;

class LbApiTest : public ApiTest {
 public:
  void SetUp() override {
    ApiTest::SetUp();
    sw_.lb = std::make_unique<LoadBalancer>(1, sw_.tables->qsbr());
    sw_.impairments = std::make_unique<PortImpairments>(sw_.ports.size(), 1, 64);
    lb_ = pb::LoadBalancingService::NewStub(channel_);
  }
  grpc::Status SetLb(const pb::LoadBalancingConfig& c) {
    pb::SetLoadBalancingRequest q;
    *q.mutable_config() = c;
    pb::SetLoadBalancingResponse r;
    return lb_->SetLoadBalancing(Ctx().get(), q, &r);
  }
  pb::LoadBalancingConfig GetLb() {
    pb::GetLoadBalancingResponse r;
    EXPECT_TRUE(lb_->GetLoadBalancing(Ctx().get(), {}, &r).ok());
    return r.config();
  }
  grpc::Status WriteGroup(pb::LoadBalanceMode mode, bool resilient) {
    pb::WriteNexthopGroupsRequest q;
    q.set_owner("t");
    auto* w = q.add_writes();
    w->set_op(pb::WRITE_OP_REPLACE);
    auto* g = w->mutable_group();
    g->set_id(5);
    g->set_load_balance_mode(mode);
    g->set_resilient(resilient);
    for (const char* port : {"Ethernet0", "Ethernet4"}) {
      auto* m = g->add_members();
      m->mutable_nexthop()->set_port(port);
      *m->mutable_nexthop()->mutable_address() = Address(port[8] == '0' ? "10.0.0.2" : "10.0.4.2");
    }
    pb::WriteNexthopGroupsResponse r;
    return groups_->WriteNexthopGroups(Ctx().get(), q, &r);
  }
  static void ExpectInvalid(const grpc::Status& s, const std::string& field) {
    EXPECT_EQ(s.error_code(), StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_NE(s.error_message().find(field), std::string::npos)
        << "\"" << s.error_message() << "\" does not name " << field;
  }
  std::unique_ptr<pb::LoadBalancingService::Stub> lb_;
};

TEST_F(LbApiTest, LoadBalancingSettingsRoundTrip) {
  pb::LoadBalancingConfig c;
  c.set_flowlet_table_size(1024);
  c.set_flowlet_gap_us(250);
  auto* t = c.add_traffic_class_modes();
  t->set_traffic_class(3);
  t->set_mode(pb::LOAD_BALANCE_MODE_SPRAY_ROUND_ROBIN);
  ASSERT_TRUE(SetLb(c).ok());
  pb::LoadBalancingConfig got = GetLb();
  EXPECT_EQ(got.flowlet_table_size(), 1024u);
  EXPECT_EQ(got.flowlet_gap_us(), 250u);
  ASSERT_EQ(got.traffic_class_modes_size(), 1);
  EXPECT_EQ(got.traffic_class_modes(0).traffic_class(), 3u);
  EXPECT_EQ(got.traffic_class_modes(0).mode(), pb::LOAD_BALANCE_MODE_SPRAY_ROUND_ROBIN);
  // Zeros read as the defaults.
  ASSERT_TRUE(SetLb({}).ok());
  EXPECT_EQ(GetLb().flowlet_table_size(), 4096u);
  EXPECT_EQ(GetLb().flowlet_gap_us(), 100u);
}

TEST_F(LbApiTest, BadLoadBalancingSettingsNameTheFieldAndChangeNothing) {
  pb::LoadBalancingConfig good;
  good.set_flowlet_gap_us(300);
  ASSERT_TRUE(SetLb(good).ok());
  pb::LoadBalancingConfig c;
  c.set_flowlet_table_size(1000);
  ExpectInvalid(SetLb(c), "config.flowlet_table_size");
  c = {};
  c.set_flowlet_gap_us(5'000'000);
  ExpectInvalid(SetLb(c), "config.flowlet_gap_us");
  c = {};
  c.add_traffic_class_modes()->set_traffic_class(8);
  ExpectInvalid(SetLb(c), "config.traffic_class_modes[0].traffic_class");
  c = {};
  c.add_traffic_class_modes()->set_traffic_class(2);
  c.add_traffic_class_modes()->set_traffic_class(2);
  ExpectInvalid(SetLb(c), "config.traffic_class_modes[1].traffic_class");
  c = {};
  auto* t = c.add_traffic_class_modes();
  t->set_traffic_class(1);
  t->set_mode(static_cast<pb::LoadBalanceMode>(77));
  ExpectInvalid(SetLb(c), "config.traffic_class_modes[0].mode");
  EXPECT_EQ(GetLb().flowlet_gap_us(), 300u) << "a refused request changed the settings";
}

TEST_F(LbApiTest, GroupModeAndResilienceRoundTrip) {
  ASSERT_TRUE(WriteGroup(pb::LOAD_BALANCE_MODE_FLOWLET, true).ok());
  pb::ListNexthopGroupsResponse r;
  ASSERT_TRUE(groups_->ListNexthopGroups(Ctx().get(), {}, &r).ok());
  ASSERT_EQ(r.groups_size(), 1);
  EXPECT_EQ(r.groups(0).load_balance_mode(), pb::LOAD_BALANCE_MODE_FLOWLET);
  EXPECT_TRUE(r.groups(0).resilient());
  // Unspecified reads as static hashing (clients that know nothing of modes).
  ASSERT_TRUE(WriteGroup(pb::LOAD_BALANCE_MODE_UNSPECIFIED, false).ok());
  ASSERT_TRUE(groups_->ListNexthopGroups(Ctx().get(), {}, &r).ok());
  EXPECT_EQ(r.groups(0).load_balance_mode(), pb::LOAD_BALANCE_MODE_HASH);
  ExpectInvalid(WriteGroup(static_cast<pb::LoadBalanceMode>(9), false),
                "writes[0].group.load_balance_mode");
}

TEST_F(LbApiTest, SymmetricHashNeedsBothSides) {
  pb::SetHashConfigRequest q;
  q.add_fields(pb::HASH_FIELD_SRC_IP);
  q.add_fields(pb::HASH_FIELD_DST_PORT);
  q.set_symmetric(true);
  pb::SetHashConfigResponse r;
  ExpectInvalid(switch_->SetHashConfig(Ctx().get(), q, &r), "symmetric");
  q.add_fields(pb::HASH_FIELD_DST_IP);
  q.add_fields(pb::HASH_FIELD_SRC_PORT);
  EXPECT_TRUE(switch_->SetHashConfig(Ctx().get(), q, &r).ok());
}

TEST_F(LbApiTest, ImpairmentsAreValidatedAndReported) {
  pb::SetPortImpairmentRequest q;
  pb::SetPortImpairmentResponse r;
  q.set_port("Ethernet4");
  q.set_loss_ratio(1.5);
  ExpectInvalid(lb_->SetPortImpairment(Ctx().get(), q, &r), "loss_ratio");
  q.set_loss_ratio(0.1);
  q.set_delay_us(3'000'000);
  ExpectInvalid(lb_->SetPortImpairment(Ctx().get(), q, &r), "delay_us");
  q.set_port("Ethernet99");
  q.set_delay_us(10);
  EXPECT_EQ(lb_->SetPortImpairment(Ctx().get(), q, &r).error_code(), StatusCode::NOT_FOUND);
  q.set_port("Ethernet4");
  ASSERT_TRUE(lb_->SetPortImpairment(Ctx().get(), q, &r).ok());
  pb::GetLoadBalancingCountersResponse counters;
  ASSERT_TRUE(lb_->GetLoadBalancingCounters(Ctx().get(), {}, &counters).ok());
  ASSERT_EQ(counters.ports_size(), 3);
  EXPECT_EQ(counters.ports(1).port(), "Ethernet4");
  EXPECT_NEAR(counters.ports(1).loss_ratio(), 0.1, 1e-6);
  EXPECT_EQ(counters.ports(1).delay_us(), 10u);
  EXPECT_EQ(counters.ports(0).delay_us(), 0u);
}

}  // namespace
}  // namespace weft::dp::testing
