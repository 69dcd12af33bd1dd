#include "controlplane/fpm/fpm_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_format.h"

namespace weft::cp::fpm {
namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string PeerName(const sockaddr_storage& ss) {
  char host[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (ss.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
    port = ntohs(in->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
    port = ntohs(in6->sin6_port);
  }
  return absl::StrFormat("%s:%d", host, port);
}

}  // namespace

FpmServer::FpmServer(FpmServerOptions options, FpmState& state, std::mutex& rib_mutex,
                     std::function<void()> on_rib_changed)
    : options_(std::move(options)),
      state_(state),
      rib_mutex_(rib_mutex),
      on_rib_changed_(std::move(on_rib_changed)) {
  status_.stale_hold = options_.stale_hold;
  std::lock_guard lock(rib_mutex_);
  state_.EnableOffloadNotices();
}

FpmServer::~FpmServer() {
  CloseConnection();
  if (listen_fd_ >= 0) close(listen_fd_);
  if (stop_fd_ >= 0) close(stop_fd_);
  if (notice_fd_ >= 0) close(notice_fd_);
}

absl::Status FpmServer::Start() {
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* in = reinterpret_cast<sockaddr_in*>(&ss);
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, options_.address.c_str(), &in->sin_addr) == 1) {
    in->sin_family = AF_INET;
    in->sin_port = htons(options_.port);
    len = sizeof(*in);
  } else if (inet_pton(AF_INET6, options_.address.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(options_.port);
    len = sizeof(*in6);
  } else {
    return absl::InvalidArgumentError(
        absl::StrFormat("fpm listen address '%s' is not an IP address", options_.address));
  }
  listen_fd_ = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return absl::InternalError(absl::StrFormat("fpm socket: %s", strerror(errno)));
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(listen_fd_, 4) != 0) {
    return absl::UnavailableError(absl::StrFormat("fpm listen on %s port %d: %s",
                                                  options_.address, options_.port,
                                                  strerror(errno)));
  }
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof(bound);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &bound_len);
  bound_port_ = ntohs(bound.ss_family == AF_INET
                          ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                          : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  notice_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (stop_fd_ < 0 || notice_fd_ < 0) return absl::InternalError("fpm eventfd failed");
  return absl::OkStatus();
}

void FpmServer::Stop() {
  uint64_t one = 1;
  if (stop_fd_ >= 0) (void)!write(stop_fd_, &one, sizeof(one));
}

void FpmServer::NotifyInstalled() {
  uint64_t one = 1;
  if (notice_fd_ >= 0) (void)!write(notice_fd_, &one, sizeof(one));
}

void FpmServer::Run() {
  while (true) {
    const short conn_events = POLLIN | (out_pos_ < out_.size() ? POLLOUT : 0);
    pollfd fds[4] = {{stop_fd_, POLLIN, 0}, {listen_fd_, POLLIN, 0}, {notice_fd_, POLLIN, 0},
                     {conn_fd_, conn_events, 0}};
    int timeout_ms = -1;
    if (const int64_t at = sweep_at_ns_.load(); at != 0) {
      timeout_ms = static_cast<int>(std::max<int64_t>((at - NowNs()) / 1000000 + 1, 0));
    }
    const int n = poll(fds, conn_fd_ >= 0 ? 4 : 3, timeout_ms);
    if (n < 0 && errno != EINTR) {
      fprintf(stderr, "fpm: poll failed: %s\n", strerror(errno));
      return;
    }
    if (fds[0].revents) return;
    if (fds[1].revents & POLLIN) Accept();
    if (fds[2].revents & POLLIN) {
      uint64_t count;
      (void)!read(notice_fd_, &count, sizeof(count));
      std::lock_guard lock(rib_mutex_);
      CollectNotices();
    }
    if (conn_fd_ >= 0 && (fds[3].revents & (POLLIN | POLLHUP | POLLERR))) {
      if (!ReadAndApply()) CloseConnection();
    }
    if (conn_fd_ >= 0 && !Flush()) CloseConnection();
    SweepIfDue();
  }
}

void FpmServer::Accept() {
  sockaddr_storage peer{};
  socklen_t len = sizeof(peer);
  int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &len,
                   SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) return;
  if (conn_fd_ >= 0) {
    fprintf(stderr, "fpm: new connection from %s replaces the current one\n",
            PeerName(peer).c_str());
    CloseConnection();
  }
  conn_fd_ = fd;
  reader_ = FpmFrameReader();
  out_.clear();  // notices of an earlier connection: zebra replays and is told again
  out_pos_ = 0;
  {
    // zebra replays everything and never says when it is done: what is not replayed within the
    // hold goes away.
    std::lock_guard lock(rib_mutex_);
    state_.MarkAllStale();
  }
  sweep_at_ns_ = NowNs() + std::chrono::nanoseconds(options_.stale_hold).count();
  std::lock_guard lock(status_mutex_);
  status_.connected = true;
  status_.peer = PeerName(peer);
  ++status_.connections;
  fprintf(stderr, "fpm: zebra connected from %s\n", status_.peer.c_str());
}

bool FpmServer::ReadAndApply() {
  uint8_t buf[65536];
  uint64_t bytes = 0;
  bool open = true;
  // Drain the socket (bounded) so one RIB lock and one programmer batch cover many frames.
  for (int i = 0; i < 64; ++i) {
    ssize_t r = recv(conn_fd_, buf, sizeof(buf), 0);
    if (r > 0) {
      reader_.Append(std::span<const uint8_t>(buf, static_cast<size_t>(r)));
      bytes += static_cast<uint64_t>(r);
      continue;
    }
    if (r == 0 || (errno != EAGAIN && errno != EINTR)) open = false;
    break;
  }
  uint64_t frames = 0, messages = 0;
  std::array<uint64_t, static_cast<size_t>(SkipReason::kCount)> skipped{};
  std::string error;
  {
    std::lock_guard lock(rib_mutex_);
    while (true) {
      auto next = reader_.Next();
      if (!next.ok()) {
        error = std::string(next.status().message());
        break;
      }
      if (!next->has_value()) break;
      absl::Status s = DecodeFpmFrame(**next, frame_);
      if (!s.ok()) {
        // Nothing of a frame that fails to decode is applied.
        error = absl::StrFormat("frame %d: %s", reader_.frames(), s.message());
        break;
      }
      ++frames;
      messages += frame_.messages.size();
      for (size_t k = 0; k < skipped.size(); ++k) skipped[k] += frame_.skipped[k];
      state_.Apply(frame_);
    }
    CollectNotices();  // replayed routes that are already installed are confirmed at once
  }
  if (frames > 0 && on_rib_changed_) on_rib_changed_();
  std::lock_guard lock(status_mutex_);
  status_.bytes += bytes;
  status_.frames += frames;
  status_.messages += messages;
  for (size_t k = 0; k < skipped.size(); ++k) status_.skipped[k] += skipped[k];
  if (!error.empty()) {
    ++status_.framing_errors;
    status_.last_error = error;
    fprintf(stderr, "fpm: closing connection from %s: %s\n", status_.peer.c_str(), error.c_str());
    return false;
  }
  if (!open) fprintf(stderr, "fpm: zebra at %s disconnected\n", status_.peer.c_str());
  return open;
}

void FpmServer::CollectNotices() {
  if (conn_fd_ < 0 || out_.size() - out_pos_ > kMaxOffloadBacklog) {
    std::vector<uint8_t> discard;
    const size_t dropped = state_.TakeOffloadNotices(discard);
    if (dropped == 0) return;
    std::lock_guard lock(status_mutex_);
    status_.offload_notices_dropped += dropped;
    return;
  }
  if (out_pos_ == out_.size()) {
    out_.clear();
    out_pos_ = 0;
  }
  const size_t added = state_.TakeOffloadNotices(out_);
  if (added == 0) return;
  std::lock_guard lock(status_mutex_);
  status_.offload_notices += added;
}

bool FpmServer::Flush() {
  while (out_pos_ < out_.size()) {
    const ssize_t w = send(conn_fd_, out_.data() + out_pos_, out_.size() - out_pos_,
                           MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w > 0) {
      out_pos_ += static_cast<size_t>(w);
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;  // POLLOUT resumes
    std::lock_guard lock(status_mutex_);
    fprintf(stderr, "fpm: writing offload notices to %s failed: %s\n", status_.peer.c_str(),
            strerror(errno));
    return false;
  }
  out_.clear();
  out_pos_ = 0;
  return true;
}

void FpmServer::CloseConnection() {
  if (conn_fd_ < 0) return;
  close(conn_fd_);
  conn_fd_ = -1;
  out_.clear();
  out_pos_ = 0;
  std::lock_guard lock(status_mutex_);
  status_.connected = false;
}

void FpmServer::SweepIfDue() {
  const int64_t at = sweep_at_ns_.load();
  if (at == 0 || NowNs() < at) return;
  sweep_at_ns_ = 0;
  size_t swept;
  {
    std::lock_guard lock(rib_mutex_);
    swept = state_.SweepStale();
  }
  if (swept > 0) {
    fprintf(stderr, "fpm: swept %zu stale routes not replayed within the hold\n", swept);
    if (on_rib_changed_) on_rib_changed_();
  }
}

FpmSessionStatus FpmServer::status() const {
  FpmSessionStatus s;
  {
    std::lock_guard lock(status_mutex_);
    s = status_;
  }
  if (const int64_t at = sweep_at_ns_.load(); at != 0) {
    s.sweep_in = std::chrono::milliseconds(std::max<int64_t>((at - NowNs()) / 1000000, 0));
  }
  std::lock_guard lock(rib_mutex_);
  s.stale_routes = state_.stale_routes();
  return s;
}

}  // namespace weft::cp::fpm
