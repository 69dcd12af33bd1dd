#include "dataplane/api/event_hub.h"

#include <ctime>

namespace weft::dp {

namespace pb = ::weft::dataplane::v1;

EventHub::Subscription::Result EventHub::Subscription::Next(pb::Event* event,
                                                            std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [this] { return closed_ || lost_unreported_ || !queue_.empty(); });
  if (closed_) return Result::kClosed;
  if (lost_unreported_) {
    // Tell the subscriber what it missed before what follows, so it knows to resynchronise.
    event->Clear();
    event->set_timestamp_ns(queue_.empty() ? 0 : queue_.front().timestamp_ns());
    event->mutable_events_lost()->set_count(lost_unreported_);
    lost_unreported_ = 0;
    return Result::kEvent;
  }
  if (queue_.empty()) return Result::kTimeout;
  *event = std::move(queue_.front());
  queue_.pop_front();
  return Result::kEvent;
}

uint64_t EventHub::Subscription::lost() const {
  std::lock_guard lock(mu_);
  return lost_total_;
}

void EventHub::Subscription::Push(const pb::Event& event) {
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    if (queue_.size() >= depth_) {
      queue_.pop_front();
      ++lost_total_;
      ++lost_unreported_;
    }
    queue_.push_back(event);
  }
  cv_.notify_one();
}

void EventHub::Subscription::Close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    queue_.clear();
  }
  cv_.notify_all();
}

std::shared_ptr<EventHub::Subscription> EventHub::Subscribe() {
  std::shared_ptr<Subscription> sub(new Subscription(depth_));
  std::lock_guard lock(mu_);
  if (closed_) {
    sub->Close();
  } else {
    subscribers_.push_back(sub);
  }
  return sub;
}

void EventHub::Publish(const pb::Event& event) {
  std::lock_guard lock(mu_);
  size_t live = 0;
  for (size_t i = 0; i < subscribers_.size(); ++i) {
    if (auto sub = subscribers_[i].lock()) {
      sub->Push(event);
      subscribers_[live++] = subscribers_[i];
    }
  }
  subscribers_.resize(live);  // drop subscriptions whose streams have ended
}

void EventHub::PublishPortState(const std::string& port, bool oper_up) {
  pb::Event event;
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  event.set_timestamp_ns(uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec));
  event.mutable_port_state()->set_port(port);
  event.mutable_port_state()->set_oper_up(oper_up);
  Publish(event);
}

void EventHub::Close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  for (auto& weak : subscribers_) {
    if (auto sub = weak.lock()) sub->Close();
  }
  subscribers_.clear();
}

size_t EventHub::subscribers() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& weak : subscribers_) n += !weak.expired();
  return n;
}

}  // namespace weft::dp
