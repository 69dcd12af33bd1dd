// Port admin state and MTU go through the PortController (a recording fake: this tests the
// service); events reach StreamEvents subscribers; a slow subscriber loses its oldest events and
// is told how many; server shutdown ends the streams.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/dataplane/api/api_fixture.h"

namespace weft::dp::testing {
namespace {

using grpc::StatusCode;

class PortEventTest : public ApiTest {
 protected:
  pb::PortStatus Status(const std::string& name) {
    pb::ListPortsRequest request;
    request.add_names(name);
    pb::ListPortsResponse response;
    EXPECT_TRUE(ports_->ListPorts(Ctx().get(), request, &response).ok());
    return response.ports_size() == 1 ? response.ports(0) : pb::PortStatus();
  }
};

TEST_F(PortEventTest, ListPortsShowsEveryPort) {
  pb::ListPortsResponse response;
  ASSERT_TRUE(ports_->ListPorts(Ctx().get(), {}, &response).ok());
  ASSERT_EQ(response.ports_size(), 3);
  for (int i = 0; i < 3; ++i) {
    const pb::PortStatus& p = response.ports(i);
    EXPECT_EQ(p.name(), "Ethernet" + std::to_string(4 * i));
    EXPECT_EQ(p.index(), static_cast<uint32_t>(i));
    EXPECT_EQ(p.driver(), "net_null");
    EXPECT_EQ(p.mac(), std::string("\x02\x00\x00\x00\x00", 5) + char(i + 1));
    EXPECT_EQ(p.mtu(), 1500u);
    EXPECT_TRUE(p.admin_up());
    EXPECT_TRUE(p.oper_up());
    EXPECT_EQ(p.tap(), p.name());
  }
}

TEST_F(PortEventTest, MtuAndAdminStateGoThroughTheController) {
  pb::SetPortMtuRequest mtu;
  mtu.set_port("Ethernet4");
  mtu.set_mtu(9000);
  pb::SetPortMtuResponse mtu_response;
  ASSERT_TRUE(ports_->SetPortMtu(Ctx().get(), mtu, &mtu_response).ok());
  ASSERT_EQ(controller_->mtu_calls.size(), 1u);
  EXPECT_EQ(controller_->mtu_calls[0], (std::pair<uint16_t, uint32_t>{1, 9000}));
  EXPECT_EQ(Status("Ethernet4").mtu(), 9000u);

  pb::SetPortAdminStateRequest admin;
  admin.set_port("Ethernet8");
  admin.set_admin_up(false);
  pb::SetPortAdminStateResponse admin_response;
  ASSERT_TRUE(ports_->SetPortAdminState(Ctx().get(), admin, &admin_response).ok());
  ASSERT_EQ(controller_->admin_calls.size(), 1u);
  EXPECT_EQ(controller_->admin_calls[0], (std::pair<uint16_t, bool>{2, false}));
  EXPECT_FALSE(Status("Ethernet8").admin_up());

  // The controller's refusal reaches the client unchanged, and nothing else is done.
  controller_->fail_with = absl::FailedPreconditionError("rte_eth_dev_set_mtu: -22");
  mtu.set_mtu(1400);
  grpc::Status s = ports_->SetPortMtu(Ctx().get(), mtu, &mtu_response);
  EXPECT_EQ(s.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_message(), "rte_eth_dev_set_mtu: -22");
  EXPECT_EQ(Status("Ethernet4").mtu(), 9000u);
}

TEST_F(PortEventTest, PortStateEventsReachSubscribers) {
  auto ctx = Ctx(20);
  auto stream = switch_->StreamEvents(ctx.get(), {});
  stream->WaitForInitialMetadata();  // the subscription exists from here on

  pb::SetPortAdminStateRequest admin;
  admin.set_port("Ethernet4");
  admin.set_admin_up(false);
  pb::SetPortAdminStateResponse response;
  ASSERT_TRUE(ports_->SetPortAdminState(Ctx().get(), admin, &response).ok());
  events_.PublishPortState("Ethernet0", true);  // e.g. from the link watcher

  pb::Event event;
  ASSERT_TRUE(stream->Read(&event));
  ASSERT_TRUE(event.has_port_state());
  EXPECT_EQ(event.port_state().port(), "Ethernet4");
  EXPECT_FALSE(event.port_state().oper_up());
  EXPECT_GT(event.timestamp_ns(), 1'600'000'000ull * 1'000'000'000ull);
  ASSERT_TRUE(stream->Read(&event));
  EXPECT_EQ(event.port_state().port(), "Ethernet0");
  EXPECT_TRUE(event.port_state().oper_up());
  ctx->TryCancel();
}

TEST_F(PortEventTest, ShutdownEndsEventStreams) {
  auto ctx = Ctx(20);
  auto stream = switch_->StreamEvents(ctx.get(), {});
  stream->WaitForInitialMetadata();
  const auto start = std::chrono::steady_clock::now();
  std::thread stopper([this] { api_->Shutdown(); });
  pb::Event event;
  EXPECT_FALSE(stream->Read(&event));
  grpc::Status s = stream->Finish();
  stopper.join();
  EXPECT_EQ(s.error_code(), StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST(EventHubTest, SlowSubscriberLosesOldestAndIsToldHowMany) {
  EventHub hub(4);
  auto slow = hub.Subscribe();
  for (int i = 0; i < 10; ++i) hub.PublishPortState("Ethernet" + std::to_string(i), i % 2);
  pb::Event e;
  ASSERT_EQ(slow->Next(&e, std::chrono::milliseconds(0)), EventHub::Subscription::Result::kEvent);
  ASSERT_TRUE(e.has_events_lost());
  EXPECT_EQ(e.events_lost().count(), 6u);
  for (int i = 6; i < 10; ++i) {
    ASSERT_EQ(slow->Next(&e, std::chrono::milliseconds(0)), EventHub::Subscription::Result::kEvent);
    EXPECT_EQ(e.port_state().port(), "Ethernet" + std::to_string(i));
  }
  EXPECT_EQ(slow->Next(&e, std::chrono::milliseconds(10)),
            EventHub::Subscription::Result::kTimeout);
  EXPECT_EQ(slow->lost(), 6u);
}

TEST(EventHubTest, PublishFromManyThreadsReachesEverySubscriber) {
  EventHub hub(100'000);
  auto a = hub.Subscribe(), b = hub.Subscribe();
  std::vector<std::thread> publishers;
  for (int t = 0; t < 4; ++t) {
    publishers.emplace_back([&hub] {
      for (int i = 0; i < 1000; ++i) hub.PublishPortState("Ethernet0", true);
    });
  }
  for (auto& t : publishers) t.join();
  for (auto* sub : {a.get(), b.get()}) {
    pb::Event e;
    int n = 0;
    while (sub->Next(&e, std::chrono::milliseconds(0)) == EventHub::Subscription::Result::kEvent)
      ++n;
    EXPECT_EQ(n, 4000);
  }
}

TEST(EventHubTest, EndedSubscriptionsAreDroppedAndCloseEndsTheRest) {
  EventHub hub;
  auto kept = hub.Subscribe();
  hub.Subscribe().reset();  // a stream that ended
  hub.PublishPortState("Ethernet0", true);
  EXPECT_EQ(hub.subscribers(), 1u);
  hub.Close();
  pb::Event e;
  EXPECT_EQ(kept->Next(&e, std::chrono::milliseconds(0)), EventHub::Subscription::Result::kClosed);
  EXPECT_EQ(hub.Subscribe()->Next(&e, std::chrono::milliseconds(0)),
            EventHub::Subscription::Result::kClosed);
}

}  // namespace
}  // namespace weft::dp::testing
