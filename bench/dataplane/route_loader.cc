// weft-bench-routes: programs a benchmark's forwarding state into weft-dataplane through the
// Dataplane API, as any controller would, and times the route installation.
//
//   weft-bench-routes --socket unix:/path/dataplane.sock --port Ethernet4
//       [--neighbors N]          N neighbours 10.255.0.1.. on PORT, each with its own MAC
//       [--ways K --groups G]    G next-hop groups of K members (K >= 2) over those neighbours
//       [--mode M]               the groups' load-balance mode: hash (default), flowlet,
//                                spray-ll, spray-rr
//       [--routes FILE]          one IPv4 prefix a line; route i goes to neighbour i % N
//                                (K == 1) or to group 1 + i % G (K >= 2)
//       [--batch B] [--owner O] [--counters]
//       [--server-pid P]         also print the CPU time weft-dataplane's threads other than its
//                                forwarding lcores (API, tables) spent during the installation
//
// Every write is REPLACE, so a second run over the same data plane (e.g. single next hops, then
// ECMP groups) changes only what differs. Prints one "key=value" line per step; exits non-zero
// with the server's message if any batch is refused.
#include <arpa/inet.h>
#include <sys/resource.h>
#include <unistd.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "weft/dataplane/v1/dataplane.grpc.pb.h"

namespace pb = ::weft::dataplane::v1;

namespace {

struct Options {
  std::string socket;
  std::string port;
  std::string routes_file;
  std::string owner = "weft-bench";
  uint32_t neighbors = 0;
  uint32_t ways = 1;
  uint32_t groups = 0;
  uint32_t batch = 32768;
  bool counters = false;
  int server_pid = 0;
  pb::LoadBalanceMode mode = pb::LOAD_BALANCE_MODE_HASH;
};

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "weft-bench-routes: %s\n", what.c_str());
  std::exit(1);
}

uint32_t ParseCount(std::string_view flag, const char* value) {
  char* end = nullptr;
  const unsigned long v = std::strtoul(value, &end, 10);
  if (end == value || *end != '\0' || v > UINT32_MAX) Fail("bad number for " + std::string(flag));
  return static_cast<uint32_t>(v);
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--counters") {
      o.counters = true;
      continue;
    }
    if (i + 1 >= argc) Fail("missing value for " + std::string(flag));
    const char* value = argv[++i];
    if (flag == "--socket") o.socket = value;
    else if (flag == "--port") o.port = value;
    else if (flag == "--routes") o.routes_file = value;
    else if (flag == "--owner") o.owner = value;
    else if (flag == "--neighbors") o.neighbors = ParseCount(flag, value);
    else if (flag == "--ways") o.ways = ParseCount(flag, value);
    else if (flag == "--groups") o.groups = ParseCount(flag, value);
    else if (flag == "--batch") o.batch = ParseCount(flag, value);
    else if (flag == "--server-pid") o.server_pid = static_cast<int>(ParseCount(flag, value));
    else if (flag == "--mode") {
      const std::string_view m = value;
      if (m == "hash") o.mode = pb::LOAD_BALANCE_MODE_HASH;
      else if (m == "flowlet") o.mode = pb::LOAD_BALANCE_MODE_FLOWLET;
      else if (m == "spray-ll") o.mode = pb::LOAD_BALANCE_MODE_SPRAY_LEAST_LOADED;
      else if (m == "spray-rr") o.mode = pb::LOAD_BALANCE_MODE_SPRAY_ROUND_ROBIN;
      else Fail("--mode must be hash, flowlet, spray-ll or spray-rr");
    }
    else Fail("unknown flag " + std::string(flag));
  }
  if (o.socket.empty() || o.port.empty()) Fail("--socket and --port are required");
  if (o.ways == 0 || o.ways > 64) Fail("--ways must be 1..64");
  if (o.ways > 1 && o.groups == 0) Fail("--ways > 1 needs --groups");
  if (o.ways > o.neighbors && (o.ways > 1 || !o.routes_file.empty()))
    Fail("--neighbors must be at least --ways (and at least 1 for routes)");
  if (o.batch == 0) Fail("--batch must be positive");
  return o;
}

// Neighbour i: 10.255.0.0 + i + 1 (never a .0 network address for small counts), MAC
// 02:00:00:ff:hi:lo. 10/8 is outside every route the workload generator makes, so next hops never
// collide with routed destinations.
std::string NeighborAddress(uint32_t i) {
  const uint32_t host = i + 1;
  const uint8_t a[4] = {10, 255, static_cast<uint8_t>(host >> 8), static_cast<uint8_t>(host)};
  return std::string(reinterpret_cast<const char*>(a), 4);
}

void SetNexthop(pb::Nexthop* nh, const std::string& port, uint32_t neighbor) {
  nh->set_port(port);
  nh->mutable_address()->set_address(NeighborAddress(neighbor));
}

std::vector<std::pair<uint32_t, uint32_t>> ReadPrefixes(const std::string& path) {
  std::ifstream in(path);
  if (!in) Fail("cannot open " + path);
  std::vector<std::pair<uint32_t, uint32_t>> prefixes;  // (address, network order), length
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto slash = line.find('/');
    in_addr addr{};
    if (slash == std::string::npos ||
        inet_pton(AF_INET, line.substr(0, slash).c_str(), &addr) != 1)
      Fail(path + ": not an IPv4 prefix: " + line);
    prefixes.emplace_back(addr.s_addr, ParseCount("prefix length", line.c_str() + slash + 1));
  }
  return prefixes;
}

// Reports a refused batch with the server's message (it names the entry and field).
void Check(const grpc::Status& status, const char* what) {
  if (!status.ok())
    Fail(std::string(what) + " refused: code " + std::to_string(status.error_code()) + ": " +
         status.error_message());
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

void WriteNeighbors(const std::shared_ptr<grpc::Channel>& ch, const Options& o) {
  auto stub = pb::NeighborService::NewStub(ch);
  pb::WriteNeighborsRequest req;
  req.set_owner(o.owner);
  for (uint32_t i = 0; i < o.neighbors; ++i) {
    auto* w = req.add_writes();
    w->set_op(pb::WRITE_OP_REPLACE);
    auto* n = w->mutable_neighbor();
    n->set_port(o.port);
    n->mutable_address()->set_address(NeighborAddress(i));
    const uint8_t mac[6] = {0x02, 0, 0, 0xff, static_cast<uint8_t>(i >> 8),
                            static_cast<uint8_t>(i & 255)};
    n->set_mac(std::string(reinterpret_cast<const char*>(mac), 6));
  }
  pb::WriteNeighborsResponse resp;
  grpc::ClientContext ctx;
  Check(stub->WriteNeighbors(&ctx, req, &resp), "WriteNeighbors");
  std::printf("neighbors=%u port=%s\n", o.neighbors, o.port.c_str());
}

void WriteGroups(const std::shared_ptr<grpc::Channel>& ch, const Options& o) {
  auto stub = pb::NexthopGroupService::NewStub(ch);
  pb::WriteNexthopGroupsRequest req;
  req.set_owner(o.owner);
  for (uint32_t g = 0; g < o.groups; ++g) {
    auto* w = req.add_writes();
    w->set_op(pb::WRITE_OP_REPLACE);
    auto* group = w->mutable_group();
    group->set_id(g + 1);
    group->set_load_balance_mode(o.mode);
    for (uint32_t k = 0; k < o.ways; ++k) {
      auto* m = group->add_members();
      SetNexthop(m->mutable_nexthop(), o.port, (g + k) % o.neighbors);
      m->set_weight(1);
    }
  }
  pb::WriteNexthopGroupsResponse resp;
  grpc::ClientContext ctx;
  Check(stub->WriteNexthopGroups(&ctx, req, &resp), "WriteNexthopGroups");
  std::printf("groups=%u ways=%u mode=%s\n", o.groups, o.ways,
              pb::LoadBalanceMode_Name(o.mode).c_str());
}

// CPU seconds (user + system) of a process' threads, the forwarding lcores ("lcore-worker-N")
// left out: they poll all the time whatever the API does.
double ControlCpuSeconds(int pid) {
  double ticks = 0;
  const std::string task_dir = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& task : std::filesystem::directory_iterator(task_dir)) {
    std::ifstream comm_file(task.path() / "comm");
    std::string comm;
    std::getline(comm_file, comm);
    if (comm.rfind("lcore-worker", 0) == 0) continue;
    std::ifstream stat_file(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(stat_file)), {});
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 2));
    std::string f;
    // After the name: state(3) ... utime is field 14, stime field 15 of the whole line.
    for (int i = 3; i <= 15 && fields >> f; ++i)
      if (i == 14 || i == 15) ticks += std::stod(f);
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double OwnCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

void WriteRoutes(const std::shared_ptr<grpc::Channel>& ch, const Options& o, uint32_t batch) {
  const auto prefixes = ReadPrefixes(o.routes_file);
  auto stub = pb::RouteService::NewStub(ch);
  // Requests are built before the clock starts: the figure is the data plane's, not protobuf's.
  std::vector<pb::WriteRoutesRequest> requests((prefixes.size() + batch - 1) / batch);
  for (size_t i = 0; i < prefixes.size(); ++i) {
    auto& req = requests[i / batch];
    req.set_owner(o.owner);
    auto* w = req.add_writes();
    w->set_op(pb::WRITE_OP_REPLACE);
    auto* r = w->mutable_route();
    r->mutable_prefix()->set_address(std::string(
        reinterpret_cast<const char*>(&prefixes[i].first), sizeof(prefixes[i].first)));
    r->mutable_prefix()->set_length(prefixes[i].second);
    if (o.ways > 1)
      r->set_nexthop_group_id(1 + i % o.groups);
    else
      SetNexthop(r->mutable_nexthop(), o.port, i % o.neighbors);
  }
  const double server_cpu0 = o.server_pid ? ControlCpuSeconds(o.server_pid) : 0;
  const double client_cpu0 = OwnCpuSeconds();
  const auto start = std::chrono::steady_clock::now();
  for (const auto& req : requests) {
    pb::WriteRoutesResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(2));
    Check(stub->WriteRoutes(&ctx, req, &resp), "WriteRoutes");
  }
  const double s = Seconds(start);
  const double client_cpu = OwnCpuSeconds() - client_cpu0;
  // Wall time on a shared machine includes other people's jobs; the CPU seconds do not.
  std::string cpu = " client_cpu_s=" + std::to_string(client_cpu).substr(0, 5);
  if (o.server_pid)
    cpu += " server_cpu_s=" +
           std::to_string(ControlCpuSeconds(o.server_pid) - server_cpu0).substr(0, 5);
  std::printf("routes=%zu batches=%zu batch=%u seconds=%.3f routes_per_s=%.0f%s\n",
              prefixes.size(), requests.size(), batch, s, prefixes.size() / s, cpu.c_str());
}

void PrintCounters(const std::shared_ptr<grpc::Channel>& ch) {
  auto stub = pb::CounterService::NewStub(ch);
  pb::GetCountersRequest req;
  pb::GetCountersResponse resp;
  grpc::ClientContext ctx;
  Check(stub->GetCounters(&ctx, req, &resp), "GetCounters");
  std::printf("tables ipv4_routes=%lu nexthop_groups=%lu neighbors=%lu\n",
              static_cast<unsigned long>(resp.tables().ipv4_routes()),
              static_cast<unsigned long>(resp.tables().nexthop_groups()),
              static_cast<unsigned long>(resp.tables().neighbors()));
  for (const auto& p : resp.ports()) {
    std::printf("port %s rx=%lu tx=%lu punted=%lu", p.port().c_str(),
                static_cast<unsigned long>(p.rx_packets()),
                static_cast<unsigned long>(p.tx_packets()),
                static_cast<unsigned long>(p.punted_packets()));
    const std::map<std::string, uint64_t> drops(p.drops().begin(), p.drops().end());
    for (const auto& [reason, n] : drops)
      if (n != 0) std::printf(" drop.%s=%lu", reason.c_str(), static_cast<unsigned long>(n));
    std::printf("\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = ParseArgs(argc, argv);
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  auto ch = grpc::CreateCustomChannel(o.socket, grpc::InsecureChannelCredentials(), args);
  if (!ch->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10)))
    Fail("cannot connect to " + o.socket);

  auto sw = pb::SwitchService::NewStub(ch);
  pb::GetInfoResponse info;
  grpc::ClientContext ctx;
  Check(sw->GetInfo(&ctx, pb::GetInfoRequest(), &info), "GetInfo");
  const uint32_t batch =
      info.max_batch_entries() ? std::min(o.batch, info.max_batch_entries()) : o.batch;

  if (o.neighbors > 0) WriteNeighbors(ch, o);
  if (o.ways > 1) WriteGroups(ch, o);
  if (!o.routes_file.empty()) WriteRoutes(ch, o, batch);
  if (o.counters) PrintCounters(ch);
  std::fflush(stdout);
  return 0;
}
