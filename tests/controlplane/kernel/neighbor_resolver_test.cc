#include "controlplane/kernel/neighbor_resolver.h"

#include <gtest/gtest.h>
#include <linux/neighbour.h>

#include <algorithm>

namespace weft::cp {
namespace {

using namespace std::chrono_literals;

RouteKey K(const char* prefix) { return RouteKey{0, *IpPrefix::Parse(prefix)}; }
PortNexthop N(const char* port, const char* addr) {
  return PortNexthop{port, *IpAddress::Parse(addr), 1};
}
KernelNeighbor Neighbor(const char* addr, uint16_t state) {
  KernelNeighbor n;
  n.address = *IpAddress::Parse(addr);
  n.mac = MacAddress{2, 0, 0, 0, 0, 2};
  n.state = state;
  return n;
}
std::vector<std::string> Names(std::vector<NeighborKey> keys) {
  std::vector<std::string> out;
  for (const auto& k : keys) out.push_back(k.address.ToString() + "@" + k.port);
  std::sort(out.begin(), out.end());
  return out;
}

class NeighborResolverTest : public ::testing::Test {
 protected:
  Rib rib_;
  NeighborTable neighbors_;
  std::mutex mutex_;
  NeighborResolver resolver_{rib_, neighbors_, mutex_, [](const std::string&) { return 0u; }};
  NeighborResolver::Clock::time_point t0_{};
};

TEST_F(NeighborResolverTest, AsksOnceForResolvedAndAgainForUnresolvedNexthops) {
  rib_.Set(RouteSource::kFpm, K("10.9.0.0/16"),
           MakeForward({N("Ethernet0", "10.0.0.1"), N("Ethernet4", "10.0.0.3")}));
  neighbors_.Apply(Neighbor("10.0.0.1", NUD_REACHABLE), "Ethernet0");
  // Both are made managed at once: the resolved one to keep it resolved.
  EXPECT_EQ(Names(resolver_.Due(t0_)),
            (std::vector<std::string>{"10.0.0.1@Ethernet0", "10.0.0.3@Ethernet4"}));
  EXPECT_TRUE(resolver_.Due(t0_ + 500ms).empty());
  // Only the unresolved one is asked again, once the retry interval passed.
  EXPECT_EQ(Names(resolver_.Due(t0_ + 1s)), (std::vector<std::string>{"10.0.0.3@Ethernet4"}));
  neighbors_.Apply(Neighbor("10.0.0.3", NUD_REACHABLE), "Ethernet4");
  EXPECT_TRUE(resolver_.Due(t0_ + 5s).empty());
  // A neighbour that failed is asked about again.
  neighbors_.Apply(Neighbor("10.0.0.3", NUD_FAILED), "Ethernet4");
  EXPECT_EQ(Names(resolver_.Due(t0_ + 6s)), (std::vector<std::string>{"10.0.0.3@Ethernet4"}));
}

TEST_F(NeighborResolverTest, ForgetsUnusedNexthopsAndLeavesStaticNeighboursAlone) {
  rib_.Set(RouteSource::kFpm, K("10.9.0.0/16"), MakeForward({N("Ethernet0", "10.0.0.1")}));
  rib_.Set(RouteSource::kFpm, K("10.8.0.0/16"), MakeForward({N("Ethernet0", "10.0.0.5")}));
  neighbors_.Apply(Neighbor("10.0.0.5", NUD_PERMANENT), "Ethernet0");
  EXPECT_EQ(Names(resolver_.Due(t0_)), (std::vector<std::string>{"10.0.0.1@Ethernet0"}));
  rib_.Remove(RouteSource::kFpm, K("10.9.0.0/16"));
  EXPECT_TRUE(resolver_.Due(t0_ + 1s).empty());
  // Used again later: asked again (the kernel entry may have gone meanwhile).
  rib_.Set(RouteSource::kFpm, K("10.9.0.0/16"), MakeForward({N("Ethernet0", "10.0.0.1")}));
  EXPECT_EQ(Names(resolver_.Due(t0_ + 2s)), (std::vector<std::string>{"10.0.0.1@Ethernet0"}));
}

}  // namespace
}  // namespace weft::cp
