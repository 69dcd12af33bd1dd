#include "dataplane/tm/tm_validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

namespace weft::dp::tm {
namespace {

using ::testing::HasSubstr;

#define EXPECT_INVALID(expr, field_text)                               \
  do {                                                                 \
    const absl::Status s = (expr);                                     \
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;      \
    EXPECT_THAT(std::string(s.message()), HasSubstr(field_text)) << s; \
  } while (0)

TEST(TmValidationTest, Shaper) {
  EXPECT_TRUE(ValidatePortShaperConfig({true, 100'000'000, 16'384}, "shaper").ok());
  EXPECT_TRUE(ValidatePortShaperConfig({false, 0, 0}, "shaper").ok());
  EXPECT_INVALID(ValidatePortShaperConfig({true, 0, 16'384}, "ports[1].shaper"),
                 "ports[1].shaper.rate_bps: must be positive");
  EXPECT_INVALID(ValidatePortShaperConfig({true, 100'000'000, 0}, "shaper"), "shaper.burst_bytes");
  EXPECT_INVALID(ValidatePortShaperConfig({true, kMaxRateBps + 1, 1}, "shaper"), "shaper.rate_bps");
  EXPECT_INVALID(ValidatePortShaperConfig({true, 1, kMaxBurstBytes + 1}, "shaper"), "burst_bytes");
}

TEST(TmValidationTest, Queues) {
  EgressQueuesConfig c;
  EXPECT_TRUE(ValidateEgressQueuesConfig(c, "queues").ok());
  c.queues[6].dwrr_weight = 0;
  EXPECT_INVALID(ValidateEgressQueuesConfig(c, "q"), "q.queues[6].dwrr_weight");
  c.queues[6].scheduling = QueueScheduling::kStrictPriority;  // weight unused under strict
  EXPECT_TRUE(ValidateEgressQueuesConfig(c, "q").ok());
  c.queue_capacity_packets = 0;
  EXPECT_INVALID(ValidateEgressQueuesConfig(c, "q"), "q.queue_capacity_packets");
  c.queue_capacity_packets = 64;
  c.dwrr_quantum_bytes = 0;
  EXPECT_INVALID(ValidateEgressQueuesConfig(c, "q"), "q.dwrr_quantum_bytes");
}

TEST(TmValidationTest, Buffer) {
  BufferConfig c;
  c.pool_bytes = 1'000'000;
  c.num_ports = 4;
  c.priority_groups[3].lossless = true;
  EXPECT_TRUE(ValidateBufferConfig(c, 50'000, "buffer").ok());
  // 4 ports x 50,000 default headroom + 4 x 8 x 25,000 reserves = 1,000,000: nothing shared.
  for (auto& q : c.queues) q.reserve_bytes = 25'000;
  EXPECT_INVALID(ValidateBufferConfig(c, 50'000, "buffer"), "buffer.pool_bytes");
  for (auto& q : c.queues) q.reserve_bytes = 0;
  c.queues[2].alpha_log2 = 4;
  EXPECT_INVALID(ValidateBufferConfig(c, 50'000, "buffer"), "buffer.queues[2].alpha_log2");
  c.queues[2].alpha_log2 = -7;
  c.priority_groups[1].headroom_bytes = 100;  // lossy
  EXPECT_INVALID(ValidateBufferConfig(c, 50'000, "buffer"),
                 "buffer.priority_groups[1].headroom_bytes");
  c.priority_groups[1].headroom_bytes = 0;
  c.num_ports = 0;
  EXPECT_INVALID(ValidateBufferConfig(c, 50'000, "buffer"), "buffer.num_ports");
}

TEST(TmValidationTest, Headroom) {
  HeadroomInputs in;
  in.rate_bps = 100'000'000;
  EXPECT_TRUE(ValidateHeadroomInputs(in, "headroom").ok());
  in.reaction_ns = 1'999'999;
  EXPECT_INVALID(ValidateHeadroomInputs(in, "headroom"), "headroom.reaction_ns");
  in.reaction_ns = 2'000'000;
  in.mtu_bytes = 9217;
  EXPECT_INVALID(ValidateHeadroomInputs(in, "headroom"), "headroom.mtu_bytes");
  in.mtu_bytes = 1500;
  in.rate_bps = 0;
  EXPECT_INVALID(ValidateHeadroomInputs(in, "headroom"), "headroom.rate_bps");
}

TEST(TmValidationTest, Wred) {
  WredProfile p{.enabled = true,
                .kmin_bytes = 100,
                .kmax_bytes = 200,
                .pmax = 0.5,
                .non_ect = NonEctAction::kTailDrop};
  EXPECT_TRUE(ValidateWredProfile(p, "wred").ok());
  p.kmin_bytes = 201;
  EXPECT_INVALID(ValidateWredProfile(p, "queues[3].wred"),
                 "queues[3].wred.kmin_bytes: 201 exceeds kmax_bytes 200");
  p.kmin_bytes = 200;  // equal: step marking is allowed
  EXPECT_TRUE(ValidateWredProfile(p, "wred").ok());
  for (double bad : {-0.01, 1.01, std::nan("")}) {
    p.pmax = bad;
    EXPECT_INVALID(ValidateWredProfile(p, "wred"), "wred.pmax");
  }
  p.enabled = false;  // a disabled profile is not checked
  EXPECT_TRUE(ValidateWredProfile(p, "wred").ok());
}

TEST(TmValidationTest, PfcGenerator) {
  PfcGeneratorConfig c;
  EXPECT_TRUE(ValidatePfcGeneratorConfig(c, "pfc").ok());  // nothing enabled: rate not needed
  c.priorities[3] = {.enabled = true,
                     .xoff_bytes = 40'000,
                     .xon_bytes = 20'000,
                     .pause_quanta = 1000,
                     .refresh_interval_ns = 0};
  EXPECT_INVALID(ValidatePfcGeneratorConfig(c, "pfc"), "pfc.rate_bps");
  c.rate_bps = 100'000'000;
  EXPECT_TRUE(ValidatePfcGeneratorConfig(c, "pfc").ok());
  c.priorities[3].xon_bytes = 40'000;
  EXPECT_INVALID(ValidatePfcGeneratorConfig(c, "pfc"), "pfc.priorities[3].xon_bytes");
  c.priorities[3].xon_bytes = 0;
  c.priorities[3].pause_quanta = 0;
  EXPECT_INVALID(ValidatePfcGeneratorConfig(c, "pfc"), "pfc.priorities[3].pause_quanta");
  c.priorities[3].pause_quanta = 1000;  // 5.12 ms at 100 Mb/s
  c.priorities[3].refresh_interval_ns = 5'120'000;
  EXPECT_INVALID(ValidatePfcGeneratorConfig(c, "pfc"), "pfc.priorities[3].refresh_interval_ns");
  c.priorities[3].xoff_bytes = 0;
  EXPECT_INVALID(ValidatePfcGeneratorConfig(c, "pfc"), "pfc.priorities[3].xoff_bytes");
}

TEST(TmValidationTest, Watchdog) {
  EXPECT_TRUE(ValidatePfcWatchdogConfig({}, "watchdog").ok());
  EXPECT_INVALID(ValidatePfcWatchdogConfig({.detection_time_ns = 0}, "watchdog"),
                 "watchdog.detection_time_ns");
  EXPECT_INVALID(ValidatePfcWatchdogConfig({.restoration_time_ns = 0}, "watchdog"),
                 "watchdog.restoration_time_ns");
  EXPECT_INVALID(ValidatePfcWatchdogConfig({.action = static_cast<PfcStormAction>(9)}, "watchdog"),
                 "watchdog.action");
}

}  // namespace
}  // namespace weft::dp::tm
