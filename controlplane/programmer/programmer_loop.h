// Runs the Programmer on its own thread: wakes when the RIB changed (Notify) or once a second (to
// notice a data-plane restart or return), so changes that arrive while a batch is being written
// coalesce into the next batch. After the startup hold, counted from the first successful sync,
// it lets the programmer delete owned entries that nothing claims.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>

#include "controlplane/programmer/programmer.h"

namespace weft::cp {

struct ProgrammerStatus {
  bool dataplane_reachable = false;
  uint64_t boot_epoch = 0;
  size_t installed_routes = 0;
  size_t installed_groups = 0;
  ProgrammerCounters counters;
};

class ProgrammerLoop {
 public:
  ProgrammerLoop(Programmer& programmer, std::chrono::milliseconds startup_hold);
  void Notify();
  // Called on the loop's thread after every sync (e.g. FpmServer::NotifyInstalled). Set before
  // Run().
  void SetOnSynced(std::function<void()> f) { on_synced_ = std::move(f); }
  void Run();
  void Stop();
  ProgrammerStatus status() const;
  // Blocks until a sync finished after this call started with nothing left to do, or `timeout`.
  bool WaitIdle(std::chrono::milliseconds timeout);

 private:
  Programmer& programmer_;
  std::chrono::milliseconds startup_hold_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool pending_ = true;
  uint64_t syncs_done_ = 0;
  uint64_t logged_failures_ = 0;
  ProgrammerStatus status_;
  std::function<void()> on_synced_;
};

}  // namespace weft::cp
