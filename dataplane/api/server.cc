#include "dataplane/api/server.h"

#include <arpa/inet.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "dataplane/api/lb_service.h"
#include "dataplane/api/services.h"
#include "dataplane/runtime/switch_instance.h"

namespace weft::dp {
namespace {

constexpr int kMaxReceiveMessageBytes = 64 << 20;  // 64k-entry batches exceed gRPC's 4 MB default
constexpr auto kShutdownGrace = std::chrono::seconds(2);
constexpr absl::string_view kUnixScheme = "unix:";

// "unix:/abs", "unix:rel" and "unix:///abs" all name a filesystem path.
std::string UnixPath(absl::string_view address) {
  absl::string_view path = address.substr(kUnixScheme.size());
  if (absl::StartsWith(path, "//")) path.remove_prefix(2);
  return std::string(path);
}

bool IsLoopbackHost(absl::string_view host) {
  if (host == "localhost" || host == "::1") return true;
  in_addr v4{};
  const std::string h(host);
  return inet_pton(AF_INET, h.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

absl::Status Refuse(absl::string_view address, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("dataplane API address \"", address, "\": ", why));
}

// The directory exists afterwards and nothing stale occupies the path. A socket someone still
// accepts connections on is not ours to remove.
absl::Status PrepareUnixSocket(const std::string& address, const std::string& path) {
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return absl::UnavailableError(absl::StrCat("dataplane API address \"", address,
                                                 "\": cannot create ", parent.string(), ": ",
                                                 ec.message()));
    }
  }
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return absl::OkStatus();  // nothing there
  if (!S_ISSOCK(st.st_mode)) {
    return absl::UnavailableError(absl::StrCat("dataplane API address \"", address, "\": ", path,
                                               " exists and is not a socket"));
  }
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("socket(AF_UNIX): ", strerror(errno)));
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  std::memcpy(sun.sun_path, path.c_str(), path.size());
  const bool live = connect(fd, reinterpret_cast<sockaddr*>(&sun), sizeof(sun)) == 0;
  close(fd);
  if (live) {
    return absl::UnavailableError(absl::StrCat("dataplane API address \"", address,
                                               "\": another process is serving on ", path));
  }
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return absl::UnavailableError(absl::StrCat(
        "dataplane API address \"", address, "\": cannot remove stale socket: ", strerror(errno)));
  }
  return absl::OkStatus();
}

class DataplaneApiImpl final : public DataplaneApi {
 public:
  DataplaneApiImpl(SwitchInstance& sw, PortController& ports, std::string address)
      : address_(std::move(address)),
        switch_({sw.name, sw.boot_epoch}, *sw.tables, *sw.events),
        port_(sw.ports, ports),
        route_(sw.ports, *sw.tables),
        group_(sw.ports, *sw.tables),
        neighbor_(sw.ports, *sw.tables),
        local_(sw.ports, *sw.tables),
        counter_(sw.ports, *sw.tables, *sw.counters),
        tm_(sw),
        lb_(sw) {}

  ~DataplaneApiImpl() override { Shutdown(); }

  absl::Status Start() {
    const bool unix_socket = absl::StartsWith(address_, kUnixScheme);
    const std::string path = unix_socket ? UnixPath(address_) : "";
    if (unix_socket) {
      if (auto s = PrepareUnixSocket(address_, path); !s.ok()) return s;
    }
    grpc::ServerBuilder builder;
    builder.AddListeningPort(address_, grpc::InsecureServerCredentials(), &bound_port_);
    builder.SetMaxReceiveMessageSize(kMaxReceiveMessageBytes);
    // Without this a second server could share a TCP port with a running one (SO_REUSEPORT).
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    for (grpc::Service* service : std::initializer_list<grpc::Service*>{
             &switch_, &port_, &route_, &group_, &neighbor_, &local_, &counter_, &tm_, &lb_}) {
      builder.RegisterService(service);
    }
    server_ = builder.BuildAndStart();
    if (server_ == nullptr || bound_port_ == 0) {
      server_.reset();
      return absl::UnavailableError(absl::StrCat(
          "dataplane API: cannot listen on \"", address_,
          "\" (address in use, permission denied or unresolvable; see gRPC's log above)"));
    }
    if (unix_socket) {
      bound_port_ = 0;    // gRPC reports 1 for a bound unix socket
      unix_path_ = path;  // ours now: removed at shutdown (never a path someone else holds)
    }
    return absl::OkStatus();
  }

  void Shutdown() override {
    {
      std::lock_guard lock(mu_);
      if (shut_down_) return;
      shut_down_ = true;
    }
    // Event streams never end on their own; gRPC's Shutdown waits for every handler to return.
    switch_.StopStreams();
    if (server_) {
      server_->Shutdown(std::chrono::system_clock::now() + kShutdownGrace);
      server_->Wait();
    }
    if (!unix_path_.empty()) unlink(unix_path_.c_str());
    cv_.notify_all();
  }

  void Wait() override {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return shut_down_; });
  }

  int bound_port() const override { return bound_port_; }
  const std::string& address() const override { return address_; }
  grpc::Server* server() override { return server_.get(); }

 private:
  const std::string address_;
  std::string unix_path_;
  int bound_port_ = 0;
  api::SwitchServiceImpl switch_;
  api::PortServiceImpl port_;
  api::RouteServiceImpl route_;
  api::NexthopGroupServiceImpl group_;
  api::NeighborServiceImpl neighbor_;
  api::LocalAddressServiceImpl local_;
  api::CounterServiceImpl counter_;
  api::TrafficManagerServiceImpl tm_;
  api::LoadBalancingServiceImpl lb_;
  std::unique_ptr<grpc::Server> server_;  // declared last: stops before the services go away
  std::mutex mu_;
  std::condition_variable cv_;
  bool shut_down_ = false;
};

}  // namespace

absl::Status CheckListenAddress(const std::string& address) {
  if (address.empty()) return Refuse(address, "empty");
  if (absl::StartsWith(address, kUnixScheme)) {
    const std::string path = UnixPath(address);
    if (path.empty()) return Refuse(address, "no socket path after \"unix:\"");
    if (path.size() >= sizeof(sockaddr_un::sun_path)) {
      return Refuse(address, absl::StrCat("socket path longer than ",
                                          sizeof(sockaddr_un::sun_path) - 1, " bytes"));
    }
    return absl::OkStatus();
  }
  absl::string_view rest = address;
  for (absl::string_view scheme : {"ipv4:", "ipv6:", "dns:"}) {
    if (absl::StartsWith(rest, scheme)) rest.remove_prefix(scheme.size());
  }
  absl::string_view host, port;
  if (absl::StartsWith(rest, "[")) {
    const size_t close_bracket = rest.find("]:");
    if (close_bracket == absl::string_view::npos) return Refuse(address, "want [host]:port");
    host = rest.substr(1, close_bracket - 1);
    port = rest.substr(close_bracket + 2);
  } else {
    const size_t colon = rest.rfind(':');
    if (colon == absl::string_view::npos || rest.find(':') != colon) {
      return Refuse(address, "want unix:PATH, HOST:PORT or [HOST]:PORT");
    }
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  uint32_t port_number = 0;
  if (!absl::SimpleAtoi(port, &port_number) || port_number > 65535) {
    return Refuse(address, absl::StrCat("port \"", port, "\" is not a number in 0..65535"));
  }
  if (!IsLoopbackHost(host)) {
    return Refuse(address,
                  "not a local address; TLS is not implemented, so the API listens only on "
                  "unix sockets and loopback (127.0.0.0/8, ::1, localhost)");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<DataplaneApi>> StartDataplaneApi(SwitchInstance& sw,
                                                                PortController& ports,
                                                                const std::string& address) {
  if (auto s = CheckListenAddress(address); !s.ok()) return s;
  if (!sw.tables || !sw.counters || sw.events == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("dataplane API of switch \"", sw.name,
                                                      "\": the instance lacks ",
                                                      !sw.tables     ? "tables"
                                                      : !sw.counters ? "counters"
                                                                     : "an event hub"));
  }
  auto api = std::make_unique<DataplaneApiImpl>(sw, ports, address);
  if (auto s = api->Start(); !s.ok()) return s;
  return std::unique_ptr<DataplaneApi>(std::move(api));
}

}  // namespace weft::dp
