// EventHub: fan-out of data-plane events (port state, ...) to StreamEvents subscribers.
//
// Publish() may be called from any control thread (link watcher, port controller, API); never from
// a worker's per-packet path (it locks and copies). Each subscriber has its own bounded queue: a
// subscriber that does not keep up loses its oldest events, and the next event it reads after such
// a loss is an EventsLostEvent carrying how many were dropped. Close() ends every subscription
// (and later Subscribe() calls return closed subscriptions), e.g. at server shutdown.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "weft/dataplane/v1/dataplane.pb.h"

namespace weft::dp {

class EventHub {
 public:
  static constexpr size_t kDefaultQueueDepth = 1024;

  class Subscription {
   public:
    enum class Result { kEvent, kTimeout, kClosed };
    // Waits up to `timeout` for the next event. kClosed once the hub is closed (queued events are
    // dropped then: the stream is ending anyway).
    Result Next(weft::dataplane::v1::Event* event, std::chrono::milliseconds timeout);
    uint64_t lost() const;  // events this subscriber lost to overflow so far

   private:
    friend class EventHub;
    explicit Subscription(size_t depth) : depth_(depth) {}
    void Push(const weft::dataplane::v1::Event& event);
    void Close();

    const size_t depth_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<weft::dataplane::v1::Event> queue_;
    uint64_t lost_total_ = 0;
    uint64_t lost_unreported_ = 0;
    bool closed_ = false;
  };

  explicit EventHub(size_t queue_depth = kDefaultQueueDepth) : depth_(queue_depth) {}
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // The subscription receives events published after this call. Unsubscribes when destroyed.
  std::shared_ptr<Subscription> Subscribe();
  void Publish(const weft::dataplane::v1::Event& event);
  // Convenience for the common event; stamps CLOCK_REALTIME.
  void PublishPortState(const std::string& port, bool oper_up);
  void Close();
  size_t subscribers() const;

 private:
  const size_t depth_;
  mutable std::mutex mu_;
  std::vector<std::weak_ptr<Subscription>> subscribers_;
  bool closed_ = false;
};

}  // namespace weft::dp
