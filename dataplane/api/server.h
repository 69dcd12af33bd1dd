// The Dataplane API endpoint of one switch instance: every service of
// proto/weft/dataplane/v1/dataplane.proto on one gRPC server.
//
// Listeners are local only: "unix:/run/weft/leaf1/dataplane.sock" (the directory is created, a
// stale socket file is removed; a socket a live process still listens on is left alone and the
// start fails) or a loopback TCP address ("127.0.0.1:0", "[::1]:50051", "localhost:N"). Any other
// address is refused: TLS is not implemented yet.
#pragma once

#include <grpcpp/server.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dataplane/api/port_controller.h"

namespace weft::dp {

struct SwitchInstance;

// Owns the gRPC server and the service objects it dispatches to (they must outlive it).
class DataplaneApi {
 public:
  virtual ~DataplaneApi() = default;  // shuts down if still running
  // Ends the event streams, lets in-flight unary calls finish, stops the server. Idempotent.
  virtual void Shutdown() = 0;
  // Blocks until Shutdown() has been called (from another thread or a signal handler's helper).
  virtual void Wait() = 0;
  // The TCP port actually bound (for "127.0.0.1:0"); 0 for a unix socket.
  virtual int bound_port() const = 0;
  virtual const std::string& address() const = 0;
  virtual grpc::Server* server() = 0;
};

// `sw` (with sw.tables, sw.counters and sw.events set) and `ports` must outlive the result.
// Errors: INVALID_ARGUMENT for a malformed or non-local address, FAILED_PRECONDITION for a missing
// piece of `sw`, UNAVAILABLE when the address cannot be bound (message names it).
absl::StatusOr<std::unique_ptr<DataplaneApi>> StartDataplaneApi(SwitchInstance& sw,
                                                                PortController& ports,
                                                                const std::string& address);

// Exposed for tests: OK for the listener forms above, INVALID_ARGUMENT (naming the address and why)
// otherwise.
absl::Status CheckListenAddress(const std::string& address);

}  // namespace weft::dp
