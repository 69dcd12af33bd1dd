// Port bring-up with real net_ring/net_null vdevs under --no-huge, the port state rules, and the
// TAP slow path against a real TAP (root only).
#include "dataplane/port/port_table.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "dataplane/port/port_state.h"
#include "dataplane/port/tap.h"
#include "dataplane/port/tap_slow_path.h"

namespace weft::dp {
namespace {

namespace pb = ::weft::dataplane::v1;

pb::SwitchConfig TwoRingsAndANull() {
  pb::SwitchConfig sw;
  sw.set_name("t");
  for (auto [name, vdev, mtu] : {std::tuple{"Ethernet0", "net_ring", 9216u},
                                 std::tuple{"Ethernet4", "net_ring", 1500u},
                                 std::tuple{"Ethernet8", "net_null", 4096u}}) {
    pb::PortConfig* p = sw.add_ports();
    p->set_name(name);
    p->set_vdev(vdev);
    p->set_mtu(mtu);
    p->set_rx_queues(1);
  }
  sw.mutable_ports(1)->set_mac(std::string("\x02\x00\x00\x00\x00\x04", 6));
  return sw;
}

std::string UniqueTag() {
  static int n = 0;
  return "p" + std::to_string(n++);
}

TEST(PortSetTest, OpensEveryPortWithQueuesRingsMtuAndMac) {
  PortTable table;
  PortSet set;
  PortOpenOptions options{UniqueTag(), "sw", /*num_tx_queues=*/2, 0};
  ASSERT_TRUE(set.Open(TwoRingsAndANull(), options, table).ok());
  ASSERT_EQ(table.size(), 3);
  for (uint16_t i = 0; i < 3; ++i) {
    const Port& p = table.at(i);
    EXPECT_EQ(p.index, i);
    EXPECT_NE(p.punt_ring, nullptr);
    EXPECT_NE(p.inject_ring, nullptr);
    EXPECT_TRUE(p.admin_up.load());
    EXPECT_TRUE(p.oper_up.load()) << p.name << ": PMD link must be up after start";
    EXPECT_TRUE(p.up.load());
    rte_eth_dev_info info;
    ASSERT_EQ(rte_eth_dev_info_get(p.ethdev_id, &info), 0);
    EXPECT_EQ(info.nb_rx_queues, 1);
    EXPECT_EQ(info.nb_tx_queues, 2) << "one tx queue per worker";
  }
  EXPECT_NE(table.at(0).ethdev_id, table.at(1).ethdev_id);
  EXPECT_EQ(table.at(0).mtu, 9216u);
  EXPECT_EQ(table.at(2).driver, "net_null");
  EXPECT_EQ(table.FindByName("Ethernet4"), &table.at(1));
  const uint8_t want[6] = {2, 0, 0, 0, 0, 4};
  EXPECT_EQ(memcmp(table.at(1).mac.addr_bytes, want, 6), 0);
  EXPECT_GE(set.max_frame(0), kMaxMtu + kL2Overhead);
  // net_ring has no MAC of its own: a stable, locally administered unicast one is derived.
  EXPECT_EQ(table.at(0).mac.addr_bytes[0], 0x02);
  EXPECT_FALSE(rte_is_zero_ether_addr(&table.at(0).mac));
  EXPECT_NE(memcmp(&table.at(0).mac, &table.at(2).mac, 6), 0);
}

TEST(PortSetTest, AJumboFrameCrossesARingPortInOneMbuf) {
  PortTable table;
  PortSet set;
  ASSERT_TRUE(set.Open(TwoRingsAndANull(), {UniqueTag(), "sw", 1, 0}, table).ok());
  const Port& port = table.at(0);
  rte_mbuf* m = rte_pktmbuf_alloc(set.pool(0));
  ASSERT_NE(m, nullptr);
  constexpr uint16_t kLen = 9216 + 14;
  char* data = rte_pktmbuf_append(m, kLen);
  ASSERT_NE(data, nullptr) << "mbuf data room too small for a 9216-byte MTU frame";
  for (uint16_t i = 0; i < kLen; ++i) data[i] = static_cast<char>(i * 7);
  ASSERT_EQ(rte_eth_tx_burst(port.ethdev_id, 0, &m, 1), 1);
  rte_mbuf* got[4];
  ASSERT_EQ(rte_eth_rx_burst(port.ethdev_id, 0, got, 4), 1);  // net_ring loops tx back to rx
  EXPECT_EQ(got[0]->pkt_len, kLen);
  EXPECT_EQ(got[0]->nb_segs, 1);
  const char* back = rte_pktmbuf_mtod(got[0], const char*);
  bool same = true;
  for (uint16_t i = 0; i < kLen; ++i) same &= back[i] == static_cast<char>(i * 7);
  EXPECT_TRUE(same);
  rte_pktmbuf_free(got[0]);
}

TEST(PortSetTest, PoolSizeFollowsTheConfigAndMustCoverTheQueues) {
  pb::SwitchConfig sw = TwoRingsAndANull();
  sw.mutable_ports(2)->set_mbuf_pool_size(5000);
  {
    PortTable table;
    PortSet set;
    absl::Status s = set.Open(sw, {UniqueTag(), "sw", 1, 0}, table);
    ASSERT_TRUE(s.ok()) << s;
    EXPECT_EQ(set.pool(2)->size, 5000u);
    EXPECT_EQ(set.pool(0)->size, 2047u);  // unset: sized for the port's descriptors
  }
  // 8 rx queues of 256 descriptors plus the tx queues do not fit 2,100 mbufs: refused by name.
  sw.mutable_ports(2)->set_mbuf_pool_size(2100);
  sw.mutable_ports(2)->set_rx_queues(8);
  PortTable table;
  PortSet set;
  absl::Status s = set.Open(sw, {UniqueTag(), "sw", 1, 0}, table);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("Ethernet8: mbuf_pool_size 2100 is below"), std::string::npos) << s;
}

TEST(PortSetTest, CloseFreesNamesSoTheSameSwitchCanReopen) {
  const std::string tag = UniqueTag();
  for (int round = 0; round < 2; ++round) {
    PortTable table;
    PortSet set;
    absl::Status s = set.Open(TwoRingsAndANull(), {tag, "sw", 1, 0}, table);
    ASSERT_TRUE(s.ok()) << "round " << round << ": " << s;
    // Same switch and port names: same MAC after a restart.
    static rte_ether_addr first;
    if (round == 0) first = table.at(2).mac;
    else EXPECT_EQ(memcmp(&first, &table.at(2).mac, 6), 0);
    set.Close();
  }
}

TEST(PortSetTest, UnknownDriverFailsNamingThePortAndNothingStays) {
  pb::SwitchConfig sw = TwoRingsAndANull();
  sw.mutable_ports(2)->set_vdev("net_nosuchdriver");
  const uint16_t before = rte_eth_dev_count_avail();
  PortTable table;
  PortSet set;
  absl::Status s = set.Open(sw, {UniqueTag(), "sw", 1, 0}, table);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(std::string(s.message()).find("Ethernet8"), std::string::npos) << s;
  EXPECT_NE(std::string(s.message()).find("net_nosuchdriver"), std::string::npos) << s;
  EXPECT_EQ(rte_eth_dev_count_avail(), before) << "the ports opened before the failure must go";
}

TEST(PortSetTest, MtuBeyondWhatTheDriverTakesIsRefused) {
  pb::SwitchConfig sw = TwoRingsAndANull();
  sw.mutable_ports(0)->set_vdev("net_af_xdp,iface=lo");  // 2 KB frames: no jumbo
  sw.mutable_ports(0)->set_mtu(9000);
  PortTable table;
  PortSet set;
  absl::Status s = set.Open(sw, {UniqueTag(), "sw", 1, 0}, table);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(std::string(s.message()).find("mtu 9000"), std::string::npos) << s;
}

class PortStateTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(set_.Open(TwoRingsAndANull(), {UniqueTag(), "sw", 1, 0}, sw_.ports).ok());
    manager_ = std::make_unique<PortStateManager>(
        sw_, set_, [this](const std::string& port, bool up) { events_.emplace_back(port, up); });
    manager_->SyncAll();
  }
  SwitchInstance sw_;
  PortSet set_;
  std::unique_ptr<PortStateManager> manager_;
  std::vector<std::pair<std::string, bool>> events_;
};

TEST_F(PortStateTest, UpIsAdminAndLinkAndChangesArePublishedOnce) {
  EXPECT_TRUE(events_.empty()) << "SyncAll publishes nothing";
  ASSERT_TRUE(manager_->SetAdminState(1, false).ok());
  EXPECT_FALSE(sw_.ports.at(1).up.load());
  EXPECT_FALSE(sw_.ports.at(1).admin_up.load());
  manager_->SetOperState(1, false);  // link goes down too: still down, nothing new to publish
  ASSERT_TRUE(manager_->SetAdminState(1, true).ok());
  EXPECT_FALSE(sw_.ports.at(1).up.load()) << "admin up but link down";
  manager_->SetOperState(1, true);
  EXPECT_TRUE(sw_.ports.at(1).up.load());
  using E = std::pair<std::string, bool>;
  EXPECT_EQ(events_, (std::vector<E>{E{"Ethernet4", false}, E{"Ethernet4", true}}));
  EXPECT_TRUE(sw_.ports.at(0).up.load()) << "other ports untouched";
}

TEST_F(PortStateTest, MtuChangesWithinTheFrameSizeAndRefusesBeyond) {
  ASSERT_TRUE(manager_->SetMtu(0, 4000).ok());
  EXPECT_EQ(sw_.ports.at(0).mtu, 4000u);
  absl::Status s = manager_->SetMtu(0, 9300);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(sw_.ports.at(0).mtu, 4000u) << "a refused change changes nothing";
  ASSERT_TRUE(manager_->SetMtu(0, 9216).ok());
  EXPECT_EQ(sw_.ports.at(0).mtu, 9216u);
}

// --- TAP slow path against a real TAP (needs root for /dev/net/tun) ---

class SlowPathTest : public testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root for TAP devices";
    tap_ = "wsp" + std::to_string(getpid() % 100000);
    ASSERT_TRUE(set_.Open(TwoRingsAndANull(), {UniqueTag(), "sw", 1, 0}, ports_).ok());
    auto fd = OpenTap(tap_);
    ASSERT_TRUE(fd.ok()) << fd.status();
    fd_ = *fd;
    ASSERT_TRUE(SetNetdevUp(tap_).ok());
    ASSERT_TRUE(SetTapCarrier(fd_, true).ok());
    // The kernel side of the TAP, as a packet socket sees it.
    raw_ = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    ASSERT_GE(raw_, 0);
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = static_cast<int>(if_nametoindex(tap_.c_str()));
    ASSERT_EQ(bind(raw_, reinterpret_cast<sockaddr*>(&sll), sizeof(sll)), 0);
  }
  void TearDown() override {
    if (raw_ >= 0) close(raw_);
    if (fd_ >= 0) {
      (void)SetTapPersist(fd_, false);
      close(fd_);
    }
    if (!tap_.empty()) (void)DeleteTap(tap_);
  }
  std::vector<uint8_t> Frame(uint8_t tag, size_t len) {
    std::vector<uint8_t> f(len, tag);
    const uint8_t dst[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, src[6] = {2, 0, 0, 0, 0, tag};
    memcpy(f.data(), dst, 6);
    memcpy(f.data() + 6, src, 6);
    f[12] = 0x88;  // local experimental ethertype 0x88b5: the kernel will not answer it
    f[13] = 0xb5;
    return f;
  }
  PortTable ports_;
  PortSet set_;
  std::string tap_;
  int fd_ = -1, raw_ = -1;
};

TEST_F(SlowPathTest, PuntedFramesReachTheKernelAndKernelFramesAreInjected) {
  TapSlowPath slow(ports_, set_);
  slow.SetTapFd(0, fd_);
  // Punt: worker side enqueues a frame on port 0's punt ring.
  std::vector<uint8_t> punted = Frame(0x11, 1200);
  rte_mbuf* m = rte_pktmbuf_alloc(set_.pool(0));
  ASSERT_NE(m, nullptr);
  memcpy(rte_pktmbuf_append(m, punted.size()), punted.data(), punted.size());
  ASSERT_EQ(rte_ring_enqueue(ports_.at(0).punt_ring, m), 0);
  // A punt on a port without a TAP is freed and counted as dropped.
  rte_mbuf* orphan = rte_pktmbuf_alloc(set_.pool(1));
  rte_pktmbuf_append(orphan, 60);
  ASSERT_EQ(rte_ring_enqueue(ports_.at(1).punt_ring, orphan), 0);

  EXPECT_GE(slow.PollOnce(), 2u);
  EXPECT_EQ(slow.stats().to_kernel.load(), 1u);
  EXPECT_EQ(slow.stats().to_kernel_drops.load(), 1u);
  // The packet socket also sees what the kernel itself sends on the TAP: look for our frame.
  std::vector<uint8_t> got;
  for (int frames = 0; frames < 50; ++frames) {
    std::vector<uint8_t> buf(2000);
    pollfd p{raw_, POLLIN, 0};
    ASSERT_EQ(poll(&p, 1, 2000), 1) << "punted frame did not reach the kernel";
    ssize_t n = recv(raw_, buf.data(), buf.size(), 0);
    ASSERT_GT(n, 14);
    buf.resize(static_cast<size_t>(n));
    if (buf[12] == 0x88 && buf[13] == 0xb5) {
      got = buf;
      break;
    }
  }
  EXPECT_EQ(got, punted);

  // Kernel -> TAP fd -> inject ring of the same port.
  std::vector<uint8_t> sent = Frame(0x22, 800);
  ASSERT_EQ(send(raw_, sent.data(), sent.size(), 0), static_cast<ssize_t>(sent.size()));
  // The kernel may send its own frames on a fresh TAP (IPv6 RS/MLD): pick ours by ethertype.
  rte_mbuf* injected = nullptr;
  uint64_t others = 0;
  for (int tries = 0; tries < 200 && injected == nullptr; ++tries) {
    slow.PollOnce();
    void* obj;
    while (injected == nullptr && rte_ring_dequeue(ports_.at(0).inject_ring, &obj) == 0) {
      auto* m = static_cast<rte_mbuf*>(obj);
      const uint8_t* d = rte_pktmbuf_mtod(m, const uint8_t*);
      if (m->pkt_len >= 14 && d[12] == 0x88 && d[13] == 0xb5) {
        injected = m;
      } else {
        ++others;
        rte_pktmbuf_free(m);
      }
    }
    if (injected == nullptr) usleep(5000);
  }
  ASSERT_NE(injected, nullptr) << "frame the kernel sent on the TAP was not injected";
  ASSERT_EQ(injected->pkt_len, sent.size());
  EXPECT_EQ(memcmp(rte_pktmbuf_mtod(injected, void*), sent.data(), sent.size()), 0);
  EXPECT_EQ(slow.stats().from_kernel.load(), 1u + others);
  rte_pktmbuf_free(injected);
}

}  // namespace
}  // namespace weft::dp
