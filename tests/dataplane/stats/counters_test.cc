// SwitchCounters: per-worker slots summed on read, names, group-member bindings.
#include "dataplane/stats/counters.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>

namespace weft::dp {
namespace {

TEST(CountersTest, NamesAreUniqueSnakeCase) {
  std::set<std::string> names;
  for (size_t r = 0; r < kNumDropReasons; ++r) {
    std::string n = DropReasonName(static_cast<DropReason>(r));
    EXPECT_NE(n, "unknown");
    for (char c : n) EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') << n;
    EXPECT_TRUE(names.insert(n).second) << n;
  }
  for (size_t c = 0; c < kNumPuntClasses; ++c)
    EXPECT_STRNE(PuntClassName(static_cast<PuntClass>(c)), "unknown");
}

TEST(CountersTest, WorkersSumOnRead) {
  SwitchCounters c(3, 2);
  std::thread a([&] {
    for (int i = 0; i < 100000; ++i) c.worker(0)->port(1).rx_packets.Add(1);
  });
  std::thread b([&] {
    for (int i = 0; i < 50000; ++i) c.worker(1)->port(1).rx_packets.Add(2);
  });
  a.join();
  b.join();
  c.worker(1)->port(2).drops[size_t(DropReason::kNoRoute)].Add(5);
  c.worker(0)->port(0).drops[size_t(DropReason::kNoRoute)].Add(1);
  EXPECT_EQ(c.ReadPort(1).rx_packets, 200000u);
  EXPECT_EQ(c.ReadPort(2).total_drops(), 5u);
  EXPECT_EQ(c.ReadSwitchDrops()[size_t(DropReason::kNoRoute)], 6u);
  EXPECT_EQ(c.ReadPort(7).rx_packets, 0u) << "out of range reads as zero";
}

TEST(CountersTest, GroupMembersFollowBindings) {
  SwitchCounters c(2, 2, 16);
  c.BindGroupSlot(3, 100, 2);
  c.worker(0)->CountMember(3, 0, 64);
  c.worker(1)->CountMember(3, 1, 128);
  c.worker(1)->CountMember(3, 1, 128);
  auto m = c.ReadGroupMembers(100);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].packets, 1u);
  EXPECT_EQ(m[1].packets, 2u);
  EXPECT_EQ(m[1].bytes, 256u);
  EXPECT_TRUE(c.ReadGroupMembers(101).empty());
  c.BindGroupSlot(3, 100, 3);  // replace keeps counting
  EXPECT_EQ(c.ReadGroupMembers(100)[1].packets, 2u);
  c.UnbindGroupSlot(3);
  EXPECT_TRUE(c.ReadGroupMembers(100).empty());
  c.BindGroupSlot(3, 200, 2);  // a new group in a reused slot starts from zero
  EXPECT_EQ(c.ReadGroupMembers(200)[1].packets, 0u);
  c.worker(0)->CountMember(99, 0, 1);  // beyond the counted slots: ignored, no overflow
  EXPECT_EQ(c.ReadAllGroupMembers().size(), 2u);
}

}  // namespace
}  // namespace weft::dp
