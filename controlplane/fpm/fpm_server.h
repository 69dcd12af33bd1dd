// The FPM session: a TCP listener zebra's dplane_fpm_nl connects to (default 127.0.0.1:2620).
//
// One zebra connection at a time: a new connection replaces the old one (after a zebra restart
// the old socket may not have been seen closing yet). Everything read in one wake-up is decoded
// and applied to FpmState under the RIB lock at once, then `on_rib_changed` is called so the
// programmer can push a batch. A framing error closes the connection with a logged reason and a
// counter; installed state stays as it was and zebra reconnects and replays. On every connect the
// FPM state is marked stale and swept `stale_hold` later unless replayed.
// Routes the programmer confirms in the data plane are echoed back to zebra as RTM_NEWROUTE with
// RTM_F_OFFLOAD (fpm_encoder.h): NotifyInstalled() (after each programmer sync) wakes the server,
// which writes them without blocking; a zebra that does not read them costs at most
// kMaxOffloadBacklog bytes, beyond which notices are dropped and counted.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "controlplane/fpm/fpm_decoder.h"
#include "controlplane/fpm/fpm_state.h"

namespace weft::cp::fpm {

struct FpmServerOptions {
  std::string address = "127.0.0.1";  // IPv4 or IPv6 literal
  uint16_t port = 2620;                // 0: an ephemeral port (tests)
  std::chrono::milliseconds stale_hold{30000};
};

struct FpmSessionStatus {
  bool connected = false;
  std::string peer;                // "127.0.0.1:43210" of the current connection
  uint64_t connections = 0;        // accepted since start
  uint64_t frames = 0;
  uint64_t messages = 0;           // routes and next hops decoded
  uint64_t bytes = 0;
  uint64_t framing_errors = 0;     // connections closed for a framing error
  std::string last_error;          // reason of the last close for a framing error
  std::array<uint64_t, static_cast<size_t>(SkipReason::kCount)> skipped{};
  std::chrono::milliseconds stale_hold{0};
  std::optional<std::chrono::milliseconds> sweep_in;  // time until the pending stale sweep
  size_t stale_routes = 0;
  uint64_t offload_notices = 0;          // RTM_F_OFFLOAD routes written back to zebra
  uint64_t offload_notices_dropped = 0;  // not written: no connection, or zebra not reading
};

inline constexpr size_t kMaxOffloadBacklog = 32 << 20;

class FpmServer {
 public:
  // `state` is guarded by `rib_mutex`, which the programmer and the API take too.
  FpmServer(FpmServerOptions options, FpmState& state, std::mutex& rib_mutex,
            std::function<void()> on_rib_changed);
  ~FpmServer();
  FpmServer(const FpmServer&) = delete;
  FpmServer& operator=(const FpmServer&) = delete;

  // Binds and listens. Errors name the address and the reason.
  absl::Status Start();
  uint16_t bound_port() const { return bound_port_; }
  // Serves until Stop(); call from one thread.
  void Run();
  void Stop();
  // Routes may have been confirmed in the data plane: send their offload notices. Thread-safe.
  void NotifyInstalled();
  FpmSessionStatus status() const;

 private:
  void Accept();
  // Reads what is available; false when the connection must be closed.
  bool ReadAndApply();
  void CloseConnection();
  void SweepIfDue();
  // Collects confirmed routes' notices (rib_mutex_ held by the caller) into out_.
  void CollectNotices();
  // Writes what out_ holds without blocking; false when the connection failed.
  bool Flush();

  FpmServerOptions options_;
  FpmState& state_;
  std::mutex& rib_mutex_;
  std::function<void()> on_rib_changed_;
  int listen_fd_ = -1;
  int conn_fd_ = -1;
  int stop_fd_ = -1;  // eventfd
  int notice_fd_ = -1;  // eventfd: NotifyInstalled()
  std::vector<uint8_t> out_;  // offload notices not yet written
  size_t out_pos_ = 0;
  uint16_t bound_port_ = 0;
  FpmFrameReader reader_;
  FpmFrame frame_;  // reused between frames
  // steady_clock nanoseconds of the pending stale sweep, 0 if none; read by status() too.
  std::atomic<int64_t> sweep_at_ns_{0};
  mutable std::mutex status_mutex_;
  FpmSessionStatus status_;
};

}  // namespace weft::cp::fpm
