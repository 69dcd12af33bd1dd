#include "tests/dataplane/stages/test_support.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace weft::dp::testing {
namespace {

class EalEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    const std::string prefix = "weft_dpcore_test_" + std::to_string(getpid());
    std::vector<std::string> args = {"dpcore_test",
                                     "--no-huge",
                                     "-m",
                                     "256",
                                     "--no-pci",
                                     "--no-telemetry",
                                     "--file-prefix",
                                     prefix,
                                     "--log-level=error",
                                     "-l",
                                     "0"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    ASSERT_GE(rte_eal_init(static_cast<int>(argv.size()), argv.data()), 0)
        << "rte_eal_init failed: " << rte_strerror(rte_errno);
    ASSERT_NE(TestPool(), nullptr)
        << "mbuf pool: " << rte_strerror(rte_errno);  // before tables take memory
  }
  void TearDown() override { rte_eal_cleanup(); }
};

[[maybe_unused]] ::testing::Environment* const kEal =
    ::testing::AddGlobalTestEnvironment(new EalEnvironment);

void Put16(std::vector<uint8_t>& b, size_t at, uint16_t v) {
  b[at] = uint8_t(v >> 8);
  b[at + 1] = uint8_t(v);
}

}  // namespace

rte_mempool* TestPool() {
  static rte_mempool* pool = rte_pktmbuf_pool_create("dpcore_test_pool", 2047, 0, 0,
                                                     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  return pool;
}

rte_ether_addr Mac(uint8_t last) { return rte_ether_addr{{0x02, 0, 0, 0, 0, last}}; }

IpAddress Ip(const std::string& text) {
  IpAddress a;
  if (inet_pton(AF_INET, text.c_str(), a.bytes.data()) == 1) return a;
  a.family = Family::kIpv6;
  if (inet_pton(AF_INET6, text.c_str(), a.bytes.data()) != 1) throw std::invalid_argument(text);
  return a;
}

IpPrefix Prefix(const std::string& text) {
  size_t slash = text.find('/');
  return IpPrefix{Ip(text.substr(0, slash)),
                  static_cast<uint8_t>(std::stoi(text.substr(slash + 1)))};
}

std::vector<uint8_t> BuildPacket(const PacketSpec& s) {
  std::vector<uint8_t> b(14);
  std::memcpy(b.data(), s.dst_mac.addr_bytes, 6);
  std::memcpy(b.data() + 6, s.src_mac.addr_bytes, 6);
  const uint16_t type = s.ethertype.value_or(s.ipv6 ? 0x86dd : 0x0800);
  size_t l3 = 14;
  if (s.vlan_tci) {
    Put16(b, 12, 0x8100);
    b.resize(18);
    Put16(b, 14, *s.vlan_tci);
    Put16(b, 16, type);
    l3 = 18;
  } else {
    Put16(b, 12, type);
  }
  const size_t l4_len = (s.proto == 6 ? 20 : s.proto == 17 ? 8 : 0) + s.payload;
  const IpAddress src = Ip(s.src), dst = Ip(s.dst);
  if (!s.ipv6) {
    const size_t ihl = 20 + s.ipv4_options.size();
    b.resize(l3 + ihl + l4_len);
    b[l3] = uint8_t(0x40 | (ihl / 4));
    b[l3 + 1] = uint8_t(s.dscp << 2);
    Put16(b, l3 + 2, uint16_t(ihl + l4_len));
    b[l3 + 8] = s.ttl;
    b[l3 + 9] = s.proto;
    std::memcpy(&b[l3 + 12], src.bytes.data(), 4);
    std::memcpy(&b[l3 + 16], dst.bytes.data(), 4);
    if (!s.ipv4_options.empty())
      std::memcpy(&b[l3 + 20], s.ipv4_options.data(), s.ipv4_options.size());
    FixIpv4Checksum(b, l3);
    l3 += ihl;
  } else {
    b.resize(l3 + 40 + l4_len);
    const uint32_t vtf = 6u << 28 | uint32_t(s.dscp) << 22 | (s.flow_label & 0xfffff);
    Put16(b, l3, uint16_t(vtf >> 16));
    Put16(b, l3 + 2, uint16_t(vtf));
    Put16(b, l3 + 4, uint16_t(l4_len));
    b[l3 + 6] = s.proto;
    b[l3 + 7] = s.ttl;
    std::memcpy(&b[l3 + 8], src.bytes.data(), 16);
    std::memcpy(&b[l3 + 24], dst.bytes.data(), 16);
    l3 += 40;
  }
  if (s.proto == 6 || s.proto == 17) {
    Put16(b, l3, s.src_port);
    Put16(b, l3 + 2, s.dst_port);
    if (s.proto == 17) Put16(b, l3 + 4, uint16_t(l4_len));
    if (s.proto == 6) b[l3 + 12] = 5 << 4;
  }
  return b;
}

void FixIpv4Checksum(std::vector<uint8_t>& b, size_t l3) {
  b[l3 + 10] = b[l3 + 11] = 0;
  const size_t ihl = size_t(b[l3] & 0xf) * 4;
  // rte_raw_cksum sums native-order words: store the complement the same way.
  uint16_t c = static_cast<uint16_t>(~rte_raw_cksum(&b[l3], ihl));
  std::memcpy(&b[l3 + 10], &c, 2);
}

rte_mbuf* ToMbuf(const std::vector<uint8_t>& frame) {
  rte_mbuf* m = rte_pktmbuf_alloc(TestPool());
  if (m == nullptr) throw std::runtime_error("mbuf pool empty");
  char* d = rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size()));
  if (d == nullptr) throw std::runtime_error("frame too large for an mbuf");
  std::memcpy(d, frame.data(), frame.size());
  return m;
}

std::vector<uint8_t> FromMbuf(const rte_mbuf* m) {
  const uint8_t* d = rte_pktmbuf_mtod(m, const uint8_t*);
  return std::vector<uint8_t>(d, d + rte_pktmbuf_data_len(m));
}

TablesOptions SmallTablesOptions() {
  TablesOptions o;
  o.max_ipv4_routes = 1 << 14;
  o.max_ipv6_routes = 1 << 14;
  o.max_groups = 1024;
  o.max_readers = 4;
  o.ipv4_tbl8_groups = 1 << 11;
  o.ipv6_tbl8_groups = 1 << 12;
  return o;
}

TestSwitch::TestSwitch(uint16_t num_ports, uint32_t max_workers) {
  sw.name = "test";
  sw.clock = &clock;
  for (uint16_t i = 0; i < num_ports; ++i) {
    Port& p = sw.ports.Append();
    p.mac = Mac(uint8_t(0xa0 + i));
    p.mtu = 1500;
    p.up = true;
    p.name = "Ethernet" + std::to_string(i * 4);
  }
  sw.counters = std::make_unique<SwitchCounters>(num_ports, max_workers);
  TablesOptions o = SmallTablesOptions();
  o.counters = sw.counters.get();
  auto t = ForwardingTables::Create(o, num_ports);
  if (!t.ok()) {
    rte_malloc_socket_stats st{};
    rte_malloc_get_socket_stats(0, &st);
    throw std::runtime_error(std::string(t.status().message()) + " (EAL heap free " +
                             std::to_string(st.heap_freesz_bytes >> 20) + " MB, largest block " +
                             std::to_string(st.greatest_free_size >> 20) + " MB)");
  }
  sw.tables = *std::move(t);
}

}  // namespace weft::dp::testing
