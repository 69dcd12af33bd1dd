#include "dataplane/runtime/config.h"

#include <google/protobuf/util/json_util.h>
#include <net/if.h>
#include <unistd.h>

#include <fstream>
#include <algorithm>
#include <set>
#include <sstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "dataplane/port/port.h"

namespace weft::dp {
namespace {

constexpr uint32_t kDefaultMemoryMb = 512;
constexpr uint32_t kDefaultMtu = 1500;
constexpr uint32_t kDefaultBurst = 32;
constexpr uint32_t kMaxBurst = 64;
constexpr uint32_t kDefaultIpv4Routes = 2'000'000;
constexpr uint32_t kDefaultIpv6Routes = 200'000;
constexpr uint32_t kDefaultGroups = 65'536;
// rte_fib's DIR24_8 needs tbl8 groups in proportion; beyond these the memory would not be sane.
constexpr uint32_t kMaxIpv4Routes = 16'000'000;
constexpr uint32_t kMaxIpv6Routes = 4'000'000;
constexpr uint32_t kMaxGroups = 1'000'000;
constexpr uint32_t kDefaultIpv4Tbl8Groups = 1u << 14;
constexpr uint32_t kDefaultIpv6Tbl8Groups = 1u << 15;
// Mbufs a port's pool holds by default (PortSet sizes it for its descriptors, at least this).
constexpr uint32_t kDefaultPoolMbufs = 2047;

// absl::string_view is not std::string_view in Debian's abseil: split by hand.
std::vector<std::string_view> SplitCommas(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t comma = s.find(',', start);
    parts.push_back(s.substr(start, comma == std::string_view::npos ? comma : comma - start));
    if (comma == std::string_view::npos) return parts;
    start = comma + 1;
  }
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool IsNameChar(char c, bool allow_dot) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || (allow_dot && c == '.');
}

bool AllNameChars(std::string_view s, bool allow_dot) {
  for (char c : s)
    if (!IsNameChar(c, allow_dot)) return false;
  return true;
}

// SONiC-like: "Ethernet" followed by a decimal number without leading zeros.
bool IsSonicPortName(std::string_view name) {
  constexpr std::string_view kPrefix = "Ethernet";
  if (!StartsWith(name, kPrefix)) return false;
  std::string_view num = name.substr(kPrefix.size());
  if (num.empty() || num.size() > 5) return false;
  if (num.size() > 1 && num[0] == '0') return false;
  for (char c : num)
    if (c < '0' || c > '9') return false;
  return true;
}

absl::Status Bad(const std::string& field, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

absl::Status ValidatePort(const pb::PortConfig& port, const std::string& at) {
  if (port.name().empty()) return Bad(at + ".name", "missing (e.g. \"Ethernet0\")");
  if (!IsSonicPortName(port.name()))
    return Bad(at + ".name", absl::StrCat("\"", port.name(), "\" is not of the form Ethernet<N>"));
  if (port.vdev().empty())
    return Bad(at + ".vdev", "missing (e.g. \"net_af_packet,iface=eth1\" or \"net_null\")");
  const std::string driver = VdevDriver(port.vdev());
  if (!StartsWith(driver, "net_") || !AllNameChars(driver, false) || driver.size() < 5)
    return Bad(at + ".vdev", absl::StrCat("\"", driver, "\" is not a DPDK net driver (net_...)"));
  for (std::string_view kv : SplitCommas(port.vdev())) {
    if (kv.data() == port.vdev().data()) continue;  // the driver itself
    if (kv.empty() || kv.find('=') == std::string_view::npos || kv.front() == '=')
      return Bad(at + ".vdev", absl::StrCat("argument \"", std::string(kv), "\" is not key=value"));
  }
  if ((driver == "net_af_packet" || driver == "net_af_xdp") && VdevArg(port.vdev(), "iface").empty())
    return Bad(at + ".vdev", absl::StrCat(driver, " needs iface=<netdev>"));
  if (port.mtu() < kMinMtu)
    return Bad(at + ".mtu", absl::StrFormat("%u is below %u", port.mtu(), kMinMtu));
  if (port.mtu() > kMaxMtu)
    return Bad(at + ".mtu", absl::StrFormat("%u exceeds %u", port.mtu(), kMaxMtu));
  if (port.link_netdev().size() >= IFNAMSIZ || !AllNameChars(port.link_netdev(), true))
    return Bad(at + ".link_netdev", absl::StrCat("\"", port.link_netdev(), "\" is not a netdev name"));
  if (!port.mac().empty()) {
    if (port.mac().size() != 6)
      return Bad(at + ".mac", absl::StrFormat("%u bytes, expected 6", port.mac().size()));
    const auto* m = reinterpret_cast<const uint8_t*>(port.mac().data());
    if (m[0] & 0x01) return Bad(at + ".mac", "is a multicast address, expected unicast");
    if ((m[0] | m[1] | m[2] | m[3] | m[4] | m[5]) == 0) return Bad(at + ".mac", "is all zeros");
  }
  if (port.rx_queues() < 1 || port.rx_queues() > kMaxRxQueues)
    return Bad(at + ".rx_queues", absl::StrFormat("%u is outside 1..%u", port.rx_queues(), kMaxRxQueues));
  // 0 = sized by PortSet for the port's descriptors; below that the port could not fill its rings
  // (checked again at start, where the worker count is known).
  if (port.mbuf_pool_size() != 0 &&
      (port.mbuf_pool_size() < kDefaultPoolMbufs || port.mbuf_pool_size() > kMaxMbufPoolSize))
    return Bad(at + ".mbuf_pool_size", absl::StrFormat("%u is outside %u..%u", port.mbuf_pool_size(),
                                                       kDefaultPoolMbufs, kMaxMbufPoolSize));
  return absl::OkStatus();
}

absl::Status ValidateSwitch(const pb::SwitchConfig& sw, const std::string& at) {
  if (sw.name().empty()) return Bad(at + ".name", "missing (e.g. \"leaf1\")");
  if (sw.name().size() > 32 || !AllNameChars(sw.name(), false))
    return Bad(at + ".name", absl::StrCat("\"", sw.name(), "\" must be 1..32 of [A-Za-z0-9_-]"));
  if (sw.api_socket().empty()) return Bad(at + ".api_socket", "empty");
  if (sw.run_dir().empty() || sw.run_dir()[0] != '/')
    return Bad(at + ".run_dir", absl::StrCat("\"", sw.run_dir(), "\" is not an absolute path"));
  if (sw.run_dir().size() > 90)  // RUN_DIR/tap-keeper.sock must fit a unix socket path
    return Bad(at + ".run_dir", "longer than 90 characters");
  if (StartsWith(sw.api_socket(), "unix:") && sw.api_socket().size() - 5 >= 108)
    return Bad(at + ".api_socket", "unix socket path longer than 107 characters");
  if (sw.ports_size() == 0) return Bad(at + ".ports", "no ports configured");
  if (sw.ports_size() > kMaxPorts)
    return Bad(at + ".ports", absl::StrFormat("%d ports exceed %u", sw.ports_size(), kMaxPorts));
  if (sw.burst_size() < 1 || sw.burst_size() > kMaxBurst)
    return Bad(at + ".burst_size", absl::StrFormat("%u is outside 1..%u", sw.burst_size(), kMaxBurst));
  if (sw.fib_max_ipv4_routes() > kMaxIpv4Routes)
    return Bad(at + ".fib_max_ipv4_routes",
               absl::StrFormat("%u exceeds %u", sw.fib_max_ipv4_routes(), kMaxIpv4Routes));
  if (sw.fib_max_ipv6_routes() > kMaxIpv6Routes)
    return Bad(at + ".fib_max_ipv6_routes",
               absl::StrFormat("%u exceeds %u", sw.fib_max_ipv6_routes(), kMaxIpv6Routes));
  if (sw.max_nexthop_groups() > kMaxGroups)
    return Bad(at + ".max_nexthop_groups",
               absl::StrFormat("%u exceeds %u", sw.max_nexthop_groups(), kMaxGroups));
  for (const auto& [field, value] : {std::pair{".fib_ipv4_tbl8_groups", sw.fib_ipv4_tbl8_groups()},
                                     std::pair{".fib_ipv6_tbl8_groups", sw.fib_ipv6_tbl8_groups()}})
    if (value < 1 || value > kMaxTbl8Groups)
      return Bad(at + field, absl::StrFormat("%u is outside 1..%u", value, kMaxTbl8Groups));
  std::set<std::string> names, netdevs;
  for (int i = 0; i < sw.ports_size(); ++i) {
    const std::string port_at = absl::StrFormat("%s.ports[%d]", at, i);
    if (absl::Status s = ValidatePort(sw.ports(i), port_at); !s.ok()) return s;
    if (!names.insert(sw.ports(i).name()).second)
      return Bad(port_at + ".name", absl::StrCat("\"", sw.ports(i).name(), "\" is used twice"));
    const std::string& netdev = sw.ports(i).link_netdev();
    if (!netdev.empty() && !netdevs.insert(netdev).second)
      return Bad(port_at + ".link_netdev", absl::StrCat("\"", netdev, "\" is used by two ports"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string VdevDriver(std::string_view vdev) {
  return std::string(vdev.substr(0, vdev.find(',')));
}

std::string VdevArg(std::string_view vdev, std::string_view key) {
  for (std::string_view kv : SplitCommas(vdev)) {
    size_t eq = kv.find('=');
    if (eq != std::string_view::npos && kv.substr(0, eq) == key) return std::string(kv.substr(eq + 1));
  }
  return "";
}

// EAL memory a config needs when eal.memory_mb is not set: the tables (two copies of each FIB,
// with their RIBs; measured about 0.8 KB per IPv4 route of capacity and twice that per IPv6 route
// across both copies, plus the fixed tbl24 arrays), tbl8 groups beyond the defaults (two copies)
// and a jumbo-capable mbuf pool per port (larger where mbuf_pool_size says so). With --no-huge the
// untouched part of this costs address space, not resident memory.
uint32_t EstimateMemoryMb(const pb::DataplaneConfig& config) {
  uint64_t mb = kDefaultMemoryMb / 2;  // EAL, rings, API-side copies
  for (const pb::SwitchConfig& sw : config.switches()) {
    const uint64_t routes_kb =
        (uint64_t{sw.fib_max_ipv4_routes()} + 2 * uint64_t{sw.fib_max_ipv6_routes()}) * 8 / 10;
    mb += 256 + routes_kb / 1024;
    const uint64_t extra_tbl8 =
        std::max(sw.fib_ipv4_tbl8_groups(), kDefaultIpv4Tbl8Groups) - kDefaultIpv4Tbl8Groups +
        std::max(sw.fib_ipv6_tbl8_groups(), kDefaultIpv6Tbl8Groups) - kDefaultIpv6Tbl8Groups;
    mb += 2 * extra_tbl8 * kTbl8GroupBytes / (1024 * 1024);
    for (const pb::PortConfig& port : sw.ports()) {
      const uint64_t mbufs = std::max(port.mbuf_pool_size(), kDefaultPoolMbufs);
      mb += 12 + mbufs * kMbufFootprintBytes / (1024 * 1024);  // 2,047 mbufs: ~31 MB, as before
    }
  }
  return static_cast<uint32_t>(std::clamp<uint64_t>(mb, kDefaultMemoryMb, kMaxMemoryMb));
}

void ApplyConfigDefaults(pb::DataplaneConfig& config) {
  pb::EalConfig& eal = *config.mutable_eal();
  for (pb::SwitchConfig& sw : *config.mutable_switches()) {
    if (sw.run_dir().empty() && !sw.name().empty()) sw.set_run_dir("/run/weft/" + sw.name());
    if (sw.api_socket().empty() && !sw.run_dir().empty())
      sw.set_api_socket("unix:" + sw.run_dir() + "/dataplane.sock");
    if (sw.fib_max_ipv4_routes() == 0) sw.set_fib_max_ipv4_routes(kDefaultIpv4Routes);
    if (sw.fib_max_ipv6_routes() == 0) sw.set_fib_max_ipv6_routes(kDefaultIpv6Routes);
    if (sw.max_nexthop_groups() == 0) sw.set_max_nexthop_groups(kDefaultGroups);
    if (sw.burst_size() == 0) sw.set_burst_size(kDefaultBurst);
    if (sw.fib_ipv4_tbl8_groups() == 0) sw.set_fib_ipv4_tbl8_groups(kDefaultIpv4Tbl8Groups);
    if (sw.fib_ipv6_tbl8_groups() == 0) sw.set_fib_ipv6_tbl8_groups(kDefaultIpv6Tbl8Groups);
    for (pb::PortConfig& port : *sw.mutable_ports()) {
      if (port.mtu() == 0) port.set_mtu(kDefaultMtu);
      if (port.rx_queues() == 0) port.set_rx_queues(1);
      // af_packet/af_xdp report link up forever in 22.11: their netdev's carrier is the link.
      const std::string driver = VdevDriver(port.vdev());
      if (port.link_netdev().empty() && (driver == "net_af_packet" || driver == "net_af_xdp"))
        port.set_link_netdev(VdevArg(port.vdev(), "iface"));
    }
  }
  if (eal.memory_mb() == 0) eal.set_memory_mb(EstimateMemoryMb(config));
}

absl::Status ValidateConfig(const pb::DataplaneConfig& config) {
  const pb::EalConfig& eal = config.eal();
  if (eal.file_prefix().empty())
    return Bad("eal.file_prefix", "missing: every DPDK process on the host needs its own prefix");
  if (eal.file_prefix().size() > 64 || !AllNameChars(eal.file_prefix(), true))
    return Bad("eal.file_prefix",
               absl::StrCat("\"", eal.file_prefix(), "\" must be 1..64 of [A-Za-z0-9_.-]"));
  if (eal.memory_mb() < kMinMemoryMb || eal.memory_mb() > kMaxMemoryMb)
    return Bad("eal.memory_mb",
               absl::StrFormat("%u is outside %u..%u", eal.memory_mb(), kMinMemoryMb, kMaxMemoryMb));
  if (eal.worker_lcores_size() > static_cast<int>(kMaxWorkerLcores))
    return Bad("eal.worker_lcores",
               absl::StrFormat("%d lcores exceed %u", eal.worker_lcores_size(), kMaxWorkerLcores));
  const long cpus = sysconf(_SC_NPROCESSORS_CONF);
  std::set<uint32_t> lcores;
  for (int i = 0; i < eal.worker_lcores_size(); ++i) {
    const uint32_t lcore = eal.worker_lcores(i);
    if (cpus > 0 && lcore >= static_cast<uint32_t>(cpus))
      return Bad(absl::StrFormat("eal.worker_lcores[%d]", i),
                 absl::StrFormat("%u is not a CPU of this host (%ld CPUs)", lcore, cpus));
    if (!lcores.insert(lcore).second)
      return Bad(absl::StrFormat("eal.worker_lcores[%d]", i), absl::StrFormat("%u listed twice", lcore));
  }
  for (int i = 0; i < eal.extra_args_size(); ++i) {
    const std::string& arg = eal.extra_args(i);
    // These are built from the config; a second copy would contradict it.
    for (const char* owned : {"--file-prefix", "--no-huge", "-m", "-l", "--lcores", "--main-lcore"})
      if (arg == owned || StartsWith(arg, std::string(owned) + "="))
        return Bad(absl::StrFormat("eal.extra_args[%d]", i),
                   absl::StrCat("\"", arg, "\" is set from the config's other fields"));
  }
  if (config.switches_size() == 0) return Bad("switches", "no switch configured");
  std::set<std::string> names, sockets, run_dirs, taps;
  for (int i = 0; i < config.switches_size(); ++i) {
    const pb::SwitchConfig& sw = config.switches(i);
    const std::string at = absl::StrFormat("switches[%d]", i);
    if (absl::Status s = ValidateSwitch(sw, at); !s.ok()) return s;
    if (!names.insert(sw.name()).second)
      return Bad(at + ".name", absl::StrCat("\"", sw.name(), "\" is used twice"));
    if (!sockets.insert(sw.api_socket()).second)
      return Bad(at + ".api_socket", absl::StrCat("\"", sw.api_socket(), "\" is used twice"));
    if (!run_dirs.insert(sw.run_dir()).second)
      return Bad(at + ".run_dir", absl::StrCat("\"", sw.run_dir(), "\" is used twice"));
    // TAP twins are named like their ports in this process' namespace: they must not clash.
    for (int p = 0; sw.create_taps() && p < sw.ports_size(); ++p)
      if (!taps.insert(sw.ports(p).name()).second)
        return Bad(absl::StrFormat("%s.ports[%d].name", at, p),
                   absl::StrCat("TAP twin \"", sw.ports(p).name(),
                                "\" clashes with another switch's in this process (create_taps)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<pb::DataplaneConfig> ParseConfig(std::string_view json) {
  pb::DataplaneConfig config;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &config, options);
  if (!status.ok())
    return absl::InvalidArgumentError(absl::StrCat("not a valid DataplaneConfig: ", status.ToString()));
  ApplyConfigDefaults(config);
  if (absl::Status s = ValidateConfig(config); !s.ok()) return s;
  return config;
}

absl::StatusOr<pb::DataplaneConfig> LoadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::stringstream text;
  text << in.rdbuf();
  auto config = ParseConfig(text.str());
  if (!config.ok())
    return absl::Status(config.status().code(), absl::StrCat(path, ": ", config.status().message()));
  return config;
}

}  // namespace weft::dp
