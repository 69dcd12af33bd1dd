// Shared by the dp-core unit tests: DPDK EAL once per process (a gtest Environment, registered by
// linking test_support.cc), an mbuf pool, a small packet builder, and a switch instance with real
// ForwardingTables and SwitchCounters but no ethdev.
#pragma once

#include <rte_ether.h>
#include <rte_mbuf.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/common/clock.h"
#include "dataplane/runtime/switch_instance.h"

namespace weft::dp::testing {

rte_mempool* TestPool();  // created on first use, lives for the process

rte_ether_addr Mac(uint8_t last);          // 02:00:00:00:00:<last>
IpAddress Ip(const std::string& text);     // "10.0.0.1" or "2001:db8::1"
IpPrefix Prefix(const std::string& text);  // "10.0.0.0/8"

struct PacketSpec {
  rte_ether_addr dst_mac = Mac(0xa0);  // the switch port MAC in TestSwitch
  rte_ether_addr src_mac = Mac(0x01);
  std::optional<uint16_t> vlan_tci;
  std::optional<uint16_t> ethertype;  // default from the IP version
  bool ipv6 = false;
  std::string src = "192.0.2.1";
  std::string dst = "198.51.100.1";
  uint8_t ttl = 64;
  uint8_t dscp = 0;
  uint8_t proto = 17;  // UDP
  uint16_t src_port = 1000, dst_port = 2000;
  uint32_t flow_label = 0;
  size_t payload = 18;
  std::vector<uint8_t> ipv4_options;  // multiple of 4 bytes
};

// Well-formed bytes (correct lengths and IPv4 checksum) that tests may then damage.
std::vector<uint8_t> BuildPacket(const PacketSpec& spec);
void FixIpv4Checksum(std::vector<uint8_t>& frame, size_t l3_offset = 14);
rte_mbuf* ToMbuf(const std::vector<uint8_t>& frame);
std::vector<uint8_t> FromMbuf(const rte_mbuf* m);

// A switch instance with `num_ports` ports (MAC Mac(0xa0 + i), MTU 1500, up) and real tables.
struct TestSwitch {
  explicit TestSwitch(uint16_t num_ports, uint32_t max_workers = 2);
  SwitchInstance sw;
  FakeClock clock;
};

TablesOptions SmallTablesOptions();  // fits the unit tests' 256 MB of EAL memory

}  // namespace weft::dp::testing
