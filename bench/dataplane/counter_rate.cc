// weft-bench-rate: measures weft-dataplane's forwarding rate from its own port counters
// (CounterService.GetCounters) when its DPDK telemetry socket is not available. Same method as
// bench/lib/ethdev_rate.py: wait for the egress port to transmit, warm up, read tx packets once a
// second for WINDOW seconds, print
//   mpps=<best 1 s window> median=<median 1 s window> rx_mpps=<ingress median> tx_total=<packets>
//
//   weft-bench-rate --socket unix:/path --tx-port Ethernet4 --rx-port Ethernet0
//                   [--warmup S] [--window N] [--start-timeout S]
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "weft/dataplane/v1/dataplane.grpc.pb.h"

namespace pb = ::weft::dataplane::v1;
using Clock = std::chrono::steady_clock;

namespace {

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "weft-bench-rate: %s\n", what.c_str());
  std::exit(1);
}

struct Sample {
  Clock::time_point at;
  uint64_t tx = 0;
  uint64_t rx = 0;
};

class CounterReader {
 public:
  CounterReader(const std::shared_ptr<grpc::Channel>& ch, std::string tx_port, std::string rx_port)
      : stub_(pb::CounterService::NewStub(ch)),
        tx_port_(std::move(tx_port)),
        rx_port_(std::move(rx_port)) {}

  Sample Read() {
    pb::GetCountersRequest req;
    req.add_ports(tx_port_);
    req.add_ports(rx_port_);
    pb::GetCountersResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    const grpc::Status s = stub_->GetCounters(&ctx, req, &resp);
    if (!s.ok()) Fail("GetCounters: " + s.error_message());
    Sample out{Clock::now()};
    bool seen_tx = false;
    for (const auto& p : resp.ports()) {
      if (p.port() == tx_port_) out.tx = p.tx_packets(), seen_tx = true;
      if (p.port() == rx_port_) out.rx = p.rx_packets();
    }
    if (!seen_tx) Fail("no counters for port " + tx_port_);
    return out;
  }

 private:
  std::unique_ptr<pb::CounterService::Stub> stub_;
  const std::string tx_port_;
  const std::string rx_port_;
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string socket, tx_port, rx_port;
  double warmup = 2, start_timeout = 60;
  int window = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const char* v = argv[i + 1];
    if (flag == "--socket") socket = v;
    else if (flag == "--tx-port") tx_port = v;
    else if (flag == "--rx-port") rx_port = v;
    else if (flag == "--warmup") warmup = std::atof(v);
    else if (flag == "--window") window = std::atoi(v);
    else if (flag == "--start-timeout") start_timeout = std::atof(v);
    else Fail("unknown flag " + std::string(flag));
  }
  if (socket.empty() || tx_port.empty() || rx_port.empty() || window < 1)
    Fail("--socket, --tx-port and --rx-port are required; --window >= 1");

  auto ch = grpc::CreateChannel(socket, grpc::InsecureChannelCredentials());
  CounterReader reader(ch, tx_port, rx_port);
  const auto deadline = Clock::now() + std::chrono::duration<double>(start_timeout);
  while (reader.Read().tx == 0) {
    if (Clock::now() > deadline)
      Fail("no packets transmitted on " + tx_port + " within the start timeout");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(warmup));

  std::vector<double> tx_rates, rx_rates;
  Sample prev = reader.Read();
  for (int i = 0; i < window; ++i) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const Sample cur = reader.Read();
    const double dt = std::chrono::duration<double>(cur.at - prev.at).count();
    tx_rates.push_back((cur.tx - prev.tx) / dt / 1e6);
    rx_rates.push_back((cur.rx - prev.rx) / dt / 1e6);
    prev = cur;
  }
  std::printf("mpps=%.2f median=%.2f rx_mpps=%.2f tx_total=%lu\n",
              *std::max_element(tx_rates.begin(), tx_rates.end()), Median(tx_rates),
              Median(rx_rates), static_cast<unsigned long>(prev.tx));
  return 0;
}
