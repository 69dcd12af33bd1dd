#include "controlplane/programmer/programmer_loop.h"

#include <cstdio>
#include <optional>

namespace weft::cp {

ProgrammerLoop::ProgrammerLoop(Programmer& programmer, std::chrono::milliseconds startup_hold)
    : programmer_(programmer), startup_hold_(startup_hold) {}

void ProgrammerLoop::Notify() {
  std::lock_guard lock(mutex_);
  pending_ = true;
  cv_.notify_all();
}

void ProgrammerLoop::Stop() {
  std::lock_guard lock(mutex_);
  stop_ = true;
  cv_.notify_all();
}

void ProgrammerLoop::Run() {
  using Clock = std::chrono::steady_clock;
  std::optional<Clock::time_point> first_success;
  bool deletes_allowed = false;
  Clock::time_point last_log{};
  while (true) {
    {
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stop_ || pending_; });
      if (stop_) return;
      pending_ = false;
    }
    absl::Status s = programmer_.Sync();
    if (on_synced_) on_synced_();
    const auto now = Clock::now();
    if (s.ok() && !first_success) first_success = now;
    const ProgrammerCounters& c = programmer_.counters();
    if (now - last_log > std::chrono::seconds(10)) {
      // Rate-limited: the data plane may be down, or refuse entries, for a while.
      if (!s.ok()) {
        fprintf(stderr, "programmer: data plane unreachable: %s\n",
                std::string(s.message()).c_str());
        last_log = now;
      } else if (c.failed_entries > logged_failures_) {
        fprintf(stderr, "programmer: %llu entries refused by the data plane, last: %s\n",
                static_cast<unsigned long long>(c.failed_entries), c.last_error.c_str());
        logged_failures_ = c.failed_entries;
        last_log = now;
      }
    }
    if (first_success && !deletes_allowed && now - *first_success >= startup_hold_) {
      programmer_.AllowDeletesOfUnclaimed();
      deletes_allowed = true;
      std::lock_guard lock(mutex_);
      pending_ = true;
    }
    std::lock_guard lock(mutex_);
    status_.dataplane_reachable = s.ok();
    status_.boot_epoch = programmer_.boot_epoch().value_or(0);
    status_.installed_routes = programmer_.installed_routes();
    status_.installed_groups = programmer_.installed_groups();
    status_.counters = programmer_.counters();
    ++syncs_done_;
    cv_.notify_all();
  }
}

ProgrammerStatus ProgrammerLoop::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

bool ProgrammerLoop::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const uint64_t start = syncs_done_;
  return cv_.wait_for(lock, timeout, [&] { return syncs_done_ > start + 1 && !pending_; });
}

}  // namespace weft::cp
