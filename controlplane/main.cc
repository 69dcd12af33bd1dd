// weftd: the control-plane daemon. Composition root: flags and config, then the objects with
// explicit dependencies (RIB <- FPM session, RIB -> programmer -> Dataplane API, Management API),
// then run until SIGINT/SIGTERM.
//
// usage: weftd [--config PATH] [--check-config]
//   --config        WeftdConfig in text format (default /etc/weft/weftd.textproto; a missing
//                   default file means all defaults)
//   --check-config  validate and exit (0 valid, 2 invalid)
#include <grpcpp/server_builder.h>
#include <net/if.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "controlplane/api/routing_service.h"
#include "controlplane/config/weftd_config.h"
#include "controlplane/fpm/fpm_server.h"
#include "controlplane/kernel/kernel_monitor.h"
#include "controlplane/kernel/neighbor_resolver.h"
#include "controlplane/programmer/grpc_dataplane_client.h"
#include "controlplane/programmer/programmer_loop.h"

namespace weft::cp {
namespace {

constexpr const char* kDefaultConfig = "/etc/weft/weftd.textproto";

// zebra runs in the switch's namespace, as weftd does: its OIFs are the ifindexes of the TAP
// twins, whose names are the port names.
std::optional<std::string> PortOfIfindex(uint32_t ifindex) {
  char name[IF_NAMESIZE];
  if (if_indextoname(ifindex, name) == nullptr) return std::nullopt;
  if (std::strcmp(name, "lo") == 0) return std::nullopt;
  return std::string(name);
}

// A unix socket path's directory must exist and a stale socket file must go before bind.
bool PrepareUnixSocket(const std::string& address) {
  if (address.rfind("unix:", 0) != 0) return true;
  std::filesystem::path path(address.substr(5));
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  std::filesystem::remove(path, ec);
  return !std::filesystem::exists(path);
}

int Run(int argc, char** argv) {
  std::string config_path = kDefaultConfig;
  bool check_only = false, explicit_config = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) {
      config_path = argv[++i];
      explicit_config = true;
    } else if (arg == "--check-config") {
      check_only = true;
    } else {
      fprintf(stderr, "weftd: unknown argument '%s'\nusage: weftd [--config PATH] [--check-config]\n",
              arg.c_str());
      return 2;
    }
  }
  absl::StatusOr<WeftdSettings> settings = LoadWeftdConfig(config_path);
  if (!settings.ok() && settings.status().code() == absl::StatusCode::kNotFound &&
      !explicit_config) {
    settings = ValidateWeftdConfig(weft::routing::v1::WeftdConfig());
  }
  if (!settings.ok()) {
    fprintf(stderr, "weftd: invalid config: %s\n", std::string(settings.status().message()).c_str());
    return 2;
  }
  if (check_only) {
    printf("weftd: config %s is valid\n", config_path.c_str());
    return 0;
  }

  // Signals are taken by sigwait in this thread only.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::mutex rib_mutex;
  Rib rib;
  for (const auto& [key, action] : settings->static_routes) {
    rib.Set(RouteSource::kStatic, key, action);
  }
  NeighborTable neighbors;
  AddressTable addresses;
  GrpcDataplaneClient client(settings->dataplane_address);
  Programmer programmer(rib, rib_mutex, client, settings->owner, &neighbors, &addresses);
  switch (settings->nexthop_group_mode) {
    case GroupMode::kHash:
      programmer.SetGroupMode(dpv1::LOAD_BALANCE_MODE_HASH);
      break;
    case GroupMode::kFlowlet:
      programmer.SetGroupMode(dpv1::LOAD_BALANCE_MODE_FLOWLET);
      break;
    case GroupMode::kSprayLeastLoaded:
      programmer.SetGroupMode(dpv1::LOAD_BALANCE_MODE_SPRAY_LEAST_LOADED);
      break;
    case GroupMode::kSprayRoundRobin:
      programmer.SetGroupMode(dpv1::LOAD_BALANCE_MODE_SPRAY_ROUND_ROBIN);
      break;
  }
  ProgrammerLoop loop(programmer, settings->startup_hold);
  fpm::FpmState fpm_state(rib, PortOfIfindex);
  std::unique_ptr<fpm::FpmServer> fpm_server;
  if (settings->fpm_enabled) {
    fpm_server = std::make_unique<fpm::FpmServer>(
        fpm::FpmServerOptions{settings->fpm_address, settings->fpm_port,
                              settings->fpm_stale_hold},
        fpm_state, rib_mutex, [&loop] { loop.Notify(); });
    loop.SetOnSynced([server = fpm_server.get()] { server->NotifyInstalled(); });
    absl::Status s = fpm_server->Start();
    if (!s.ok()) {
      fprintf(stderr, "weftd: %s\n", std::string(s.message()).c_str());
      return 1;
    }
  }
  KernelMonitor kernel_monitor(neighbors, addresses, rib_mutex, PortOfIfindex,
                               [&loop] { loop.Notify(); });
  kernel_monitor.SetHostRoutes(&rib);
  NeighborResolver resolver(rib, neighbors, rib_mutex,
                            [](const std::string& port) { return if_nametoindex(port.c_str()); });
  if (absl::Status s = resolver.Open(); !s.ok()) {
    fprintf(stderr, "weftd: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  kernel_monitor.SetTick([&resolver] { resolver.Tick(); });
  if (absl::Status s = kernel_monitor.Start(); !s.ok()) {
    fprintf(stderr, "weftd: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  RoutingServiceImpl routing(rib, rib_mutex, settings->fpm_enabled ? &fpm_state : nullptr,
                             fpm_server.get(), loop);
  if (!PrepareUnixSocket(settings->management_address)) {
    fprintf(stderr, "weftd: cannot remove stale socket for %s\n",
            settings->management_address.c_str());
    return 1;
  }
  grpc::ServerBuilder builder;
  int management_port = 0;
  builder.AddListeningPort(settings->management_address, grpc::InsecureServerCredentials(),
                           &management_port);
  builder.RegisterService(&routing);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    fprintf(stderr, "weftd: cannot listen on management address %s\n",
            settings->management_address.c_str());
    return 1;
  }

  std::thread programmer_thread([&loop] { loop.Run(); });
  std::thread kernel_thread([&] { kernel_monitor.Run(); });
  std::thread fpm_thread;
  if (fpm_server) fpm_thread = std::thread([&] { fpm_server->Run(); });
  fprintf(stderr,
          "weftd: instance %s: fpm %s:%u (stale hold %lld ms), management %s (port %d), data "
          "plane %s, owner %s, %zu static routes\n",
          settings->instance.c_str(), settings->fpm_enabled ? settings->fpm_address.c_str() : "off",
          fpm_server ? fpm_server->bound_port() : 0,
          static_cast<long long>(settings->fpm_stale_hold.count()),
          settings->management_address.c_str(), management_port,
          settings->dataplane_address.c_str(), settings->owner.c_str(),
          settings->static_routes.size());

  int sig = 0;
  sigwait(&signals, &sig);
  fprintf(stderr, "weftd: signal %d, stopping (data-plane state stays as it is)\n", sig);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  if (fpm_server) {
    fpm_server->Stop();
    fpm_thread.join();
  }
  kernel_monitor.Stop();
  kernel_thread.join();
  loop.Stop();
  programmer_thread.join();
  return 0;
}

}  // namespace
}  // namespace weft::cp

int main(int argc, char** argv) { return weft::cp::Run(argc, argv); }
