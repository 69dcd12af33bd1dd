#include "dataplane/tm/qos_maps.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace weft::dp::tm {
namespace {

TEST(QosMapsTest, DefaultMapsClassSelectorsAndIdentity) {
  const QosMaps m = QosMaps::Default();
  EXPECT_EQ(m.TcOfDscp(26), 3);  // RoCEv2 data (AF31)
  EXPECT_EQ(m.TcOfDscp(48), 6);  // CNP
  EXPECT_EQ(m.TcOfDscp(0), 0);
  EXPECT_EQ(m.TcOfDscp(63), 7);
  EXPECT_EQ(m.TcOfPcp(5), 5);
  for (int tc = 0; tc < kNumTrafficClasses; ++tc) {
    EXPECT_EQ(m.tc_to_pg[tc], tc);
    EXPECT_EQ(m.tc_to_pfc_priority[tc], tc);
  }
  EXPECT_TRUE(ValidateQosMaps(m, "qos").ok());
}

TEST(QosMapsTest, OutOfRangeEntryIsNamed) {
  QosMaps m = QosMaps::Default();
  m.dscp_to_tc[46] = 8;
  absl::Status s = ValidateQosMaps(m, "qos");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("qos.dscp_to_tc[46]: 8"));
  m = QosMaps::Default();
  m.tc_to_pfc_priority[3] = 200;
  s = ValidateQosMaps(m, "qos");
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("qos.tc_to_pfc_priority[3]"));
}

}  // namespace
}  // namespace weft::dp::tm
