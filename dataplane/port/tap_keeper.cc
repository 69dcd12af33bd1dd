#include "dataplane/port/tap_keeper.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dataplane/port/port.h"
#include "dataplane/port/tap.h"
#include "dataplane/runtime/log.h"

namespace weft::dp {
namespace {

constexpr size_t kMaxMessage = 4096;
volatile sig_atomic_t g_keeper_stop = 0;

void OnKeeperSignal(int) { g_keeper_stop = 1; }

absl::Status Errno(const std::string& what) {
  return absl::Status(absl::ErrnoToStatusCode(errno), absl::StrCat(what, ": ", strerror(errno)));
}

bool FillAddress(const std::string& path, sockaddr_un& addr) {
  memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) return false;
  memcpy(addr.sun_path, path.data(), path.size());
  return true;
}

absl::StatusOr<int> Connect(const std::string& run_dir) {
  sockaddr_un addr;
  const std::string path = TapKeeperSocketPath(run_dir);
  if (!FillAddress(path, addr)) return absl::InvalidArgumentError(absl::StrCat(path, ": path too long"));
  int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0) {
    absl::Status s = absl::NotFoundError(absl::StrCat("no TAP keeper at ", path, ": ", strerror(errno)));
    close(fd);
    return s;
  }
  return fd;
}

absl::Status SendMessage(int sock, const std::string& text, const std::vector<int>& fds) {
  iovec iov{const_cast<char*>(text.data()), text.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::vector<char> control(CMSG_SPACE(sizeof(int) * std::max<size_t>(fds.size(), 1)));
  if (!fds.empty()) {
    msg.msg_control = control.data();
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    memcpy(CMSG_DATA(cmsg), fds.data(), sizeof(int) * fds.size());
  }
  if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0) return Errno("sendmsg to TAP keeper socket");
  return absl::OkStatus();
}

// Receives one message; fds passed along are appended to `fds` (close-on-exec).
absl::StatusOr<std::string> ReceiveMessage(int sock, std::vector<int>* fds, int timeout_ms) {
  pollfd p{sock, POLLIN, 0};
  int rc = poll(&p, 1, timeout_ms);
  if (rc == 0) return absl::DeadlineExceededError("TAP keeper did not answer in time");
  if (rc < 0) return Errno("poll on TAP keeper socket");
  std::string text(kMaxMessage, '\0');
  iovec iov{text.data(), text.size()};
  std::vector<char> control(CMSG_SPACE(sizeof(int) * kMaxPorts));
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  if (n < 0) return Errno("recvmsg from TAP keeper socket");
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      if (fds) fds->push_back(fd); else close(fd);
    }
  }
  if (msg.msg_flags & MSG_CTRUNC) return absl::InternalError("TAP keeper reply: fds truncated");
  text.resize(static_cast<size_t>(n));
  return text;
}

std::vector<std::string> SplitWords(const std::string& text) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find(' ', i);
    if (j == std::string::npos) j = text.size();
    if (j > i) words.push_back(text.substr(i, j - i));
    i = j + 1;
  }
  return words;
}

// Keeper state: the TAPs it holds, by name.
struct Keeper {
  std::map<std::string, int> taps;

  void Serve(int client) {
    absl::StatusOr<std::string> request = ReceiveMessage(client, nullptr, 2000);
    if (!request.ok()) return;
    std::vector<std::string> words = SplitWords(*request);
    if (words.empty()) {
      (void)SendMessage(client, "ERR empty request", {});
    } else if (words[0] == "OPEN") {
      std::vector<int> fds;
      for (size_t i = 1; i < words.size(); ++i) {
        auto it = taps.find(words[i]);
        if (it == taps.end()) {
          absl::StatusOr<int> fd = OpenTap(words[i]);
          if (!fd.ok()) {
            (void)SendMessage(client, absl::StrCat("ERR ", fd.status().message()), {});
            return;
          }
          Log("tap-keeper", "holding TAP %s", words[i]);
          it = taps.emplace(words[i], *fd).first;
        }
        fds.push_back(it->second);
      }
      if (fds.size() > kMaxPorts) {
        (void)SendMessage(client, "ERR too many TAPs in one request", {});
        return;
      }
      (void)SendMessage(client, "OK", fds);
    } else if (words[0] == "SHUTDOWN") {
      for (auto& [name, fd] : taps) {
        (void)SetTapPersist(fd, false);
        close(fd);
        Log("tap-keeper", "deleted TAP %s", name);
      }
      taps.clear();
      (void)SendMessage(client, "OK", {});
      g_keeper_stop = 1;
    } else {
      (void)SendMessage(client, absl::StrCat("ERR unknown request \"", words[0], "\""), {});
    }
  }
};

}  // namespace

std::string TapKeeperSocketPath(const std::string& run_dir) { return run_dir + "/tap-keeper.sock"; }

int RunTapKeeper(const std::string& run_dir) {
  const std::string path = TapKeeperSocketPath(run_dir);
  if (absl::StatusOr<int> live = Connect(run_dir); live.ok()) {
    close(*live);
    Log("tap-keeper", "a keeper already serves %s", run_dir);
    return 0;
  }
  std::error_code ec;
  std::filesystem::create_directories(run_dir, ec);
  unlink(path.c_str());  // stale: nobody answered on it
  sockaddr_un addr;
  if (!FillAddress(path, addr)) {
    Log("tap-keeper", "%s: path too long", path);
    return 1;
  }
  int listener = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0 ||
      listen(listener, 8) < 0) {
    Log("tap-keeper", "cannot listen on %s: %s", path, strerror(errno));
    return 1;
  }
  struct sigaction sa {};
  sa.sa_handler = OnKeeperSignal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  Log("tap-keeper", "serving %s (pid %d)", path, getpid());

  Keeper keeper;
  while (!g_keeper_stop) {
    pollfd p{listener, POLLIN, 0};
    if (poll(&p, 1, 1000) <= 0) continue;
    int client = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    keeper.Serve(client);
    close(client);
  }
  close(listener);
  // Leave the socket path to a successor if one already took it over; remove only our own.
  struct stat st;
  if (stat(path.c_str(), &st) == 0) unlink(path.c_str());
  for (auto& [name, fd] : keeper.taps) close(fd);  // persistent TAPs stay, without carrier
  Log("tap-keeper", "exiting");
  return 0;
}

absl::Status EnsureTapKeeper(const std::string& run_dir, const std::string& exe, int timeout_ms) {
  if (absl::StatusOr<int> live = Connect(run_dir); live.ok()) {
    close(*live);
    return absl::OkStatus();
  }
  std::error_code ec;
  std::filesystem::create_directories(run_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("creating ", run_dir, ": ", ec.message()));
  // Everything the child needs is prepared before fork(): after it only async-signal-safe calls.
  const std::string log_path = run_dir + "/tap-keeper.log";
  std::string arg0 = exe, arg1 = "--tap-keeper", arg2 = run_dir;
  char* argv[] = {arg0.data(), arg1.data(), arg2.data(), nullptr};
  pid_t child = fork();
  if (child < 0) return Errno("fork for the TAP keeper");
  if (child == 0) {
    setsid();  // own session: a signal to the data plane's process group does not reach it
    if (fork() != 0) _exit(0);
    int null_fd = open("/dev/null", O_RDONLY);
    int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (null_fd >= 0) dup2(null_fd, 0);
    if (log_fd >= 0) {
      dup2(log_fd, 1);
      dup2(log_fd, 2);
    }
    close_range(3, ~0U, 0);  // no DPDK or gRPC fds leak into the keeper
    execv(argv[0], argv);
    _exit(127);
  }
  int status = 0;
  waitpid(child, &status, 0);
  for (int waited = 0; waited < timeout_ms; waited += 20) {
    if (absl::StatusOr<int> live = Connect(run_dir); live.ok()) {
      close(*live);
      return absl::OkStatus();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::DeadlineExceededError(absl::StrCat("TAP keeper (", exe, " --tap-keeper ", run_dir,
                                                  ") did not start; see ", log_path));
}

absl::StatusOr<std::vector<int>> RequestTaps(const std::string& run_dir,
                                             const std::vector<std::string>& names) {
  absl::StatusOr<int> sock = Connect(run_dir);
  if (!sock.ok()) return sock.status();
  std::vector<int> fds;
  absl::Status sent = SendMessage(*sock, absl::StrCat("OPEN ", absl::StrJoin(names, " ")), {});
  absl::StatusOr<std::string> reply =
      sent.ok() ? ReceiveMessage(*sock, &fds, 5000) : absl::StatusOr<std::string>(sent);
  close(*sock);
  if (reply.ok() && *reply == "OK" && fds.size() == names.size()) return fds;
  for (int fd : fds) close(fd);
  if (!reply.ok()) return reply.status();
  return absl::InternalError(absl::StrCat("TAP keeper refused OPEN ", absl::StrJoin(names, " "), ": ",
                                          *reply));
}

absl::Status ShutdownTapKeeper(const std::string& run_dir) {
  absl::StatusOr<int> sock = Connect(run_dir);
  if (!sock.ok()) return sock.status();
  absl::Status sent = SendMessage(*sock, "SHUTDOWN", {});
  absl::StatusOr<std::string> reply =
      sent.ok() ? ReceiveMessage(*sock, nullptr, 5000) : absl::StatusOr<std::string>(sent);
  close(*sock);
  if (!reply.ok()) return reply.status();
  if (*reply != "OK") return absl::InternalError(absl::StrCat("TAP keeper: ", *reply));
  return absl::OkStatus();
}

}  // namespace weft::dp
