// Test helper for integration tests: a network namespace of the test's own, processes started
// in it (tracked by pid), a temp dir, and cleanup of all of it even when the test fails.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace weft::cp::testing {

class NetnsLab {
 public:
  explicit NetnsLab(const std::string& tag) {
    ns_ = "weft-" + tag + "-" + std::to_string(getpid());
    char tmpl[] = "/tmp/weft-lab-XXXXXX";
    dir_ = mkdtemp(tmpl);
    chmod(dir_.c_str(), 0777);  // FRR daemons drop to user frr
    ok_ = Sh("ip netns add " + ns_) == 0 && Sh("ip -n " + ns_ + " link set lo up") == 0;
  }
  ~NetnsLab() {
    for (auto it = pids_.rbegin(); it != pids_.rend(); ++it) Kill(*it, SIGKILL);
    for (const auto& f : pidfiles_) {
      std::ifstream in(f);
      pid_t p = 0;
      if (in >> p && p > 0) kill(p, SIGKILL);
    }
    // Whatever else runs in the namespace was started by this test (e.g. weft-dataplane's TAP
    // keeper): end it by pid before the namespace goes.
    for (int round = 0; round < 2; ++round) {
      FILE* p = popen(("ip netns pids " + ns_ + " 2>/dev/null").c_str(), "r");
      int pid;
      while (p && fscanf(p, "%d", &pid) == 1) kill(pid, SIGKILL);
      if (p) pclose(p);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    Sh("ip netns del " + ns_ + " 2>/dev/null");
    Sh("rm -rf " + dir_);
  }
  bool ok() const { return ok_; }
  const std::string& ns() const { return ns_; }
  const std::string& dir() const { return dir_; }

  static int Sh(const std::string& cmd) {
    int rc = std::system(cmd.c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  }
  int InNs(const std::string& cmd) { return Sh("ip netns exec " + ns_ + " " + cmd); }
  std::string Capture(const std::string& cmd) {
    std::string out;
    FILE* p = popen(("ip netns exec " + ns_ + " " + cmd + " 2>&1").c_str(), "r");
    if (!p) return out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
    pclose(p);
    return out;
  }

  // Starts argv inside the namespace, output to DIR/<log>. Returns the pid (the exec'd program).
  pid_t Start(const std::vector<std::string>& argv, const std::string& log) {
    pid_t pid = fork();
    if (pid == 0) {
      int fd = open((dir_ + "/" + log).c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      std::vector<std::string> full = {"ip", "netns", "exec", ns_};
      full.insert(full.end(), argv.begin(), argv.end());
      std::vector<char*> args;
      for (auto& a : full) args.push_back(a.data());
      args.push_back(nullptr);
      execvp("ip", args.data());
      _exit(127);
    }
    pids_.push_back(pid);
    return pid;
  }
  void TrackPidFile(const std::string& path) { pidfiles_.push_back(path); }
  void Kill(pid_t pid, int sig) {
    if (pid <= 0) return;
    kill(pid, sig);
    for (int i = 0; i < 100; ++i) {
      if (waitpid(pid, nullptr, WNOHANG) == pid) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  bool Alive(pid_t pid) { return waitpid(pid, nullptr, WNOHANG) == 0; }
  std::string Log(const std::string& log) {
    std::ifstream in(dir_ + "/" + log);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  static bool WaitFor(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (cond()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return cond();
  }

 private:
  std::string ns_, dir_;
  bool ok_ = false;
  std::vector<pid_t> pids_;
  std::vector<std::string> pidfiles_;
};

}  // namespace weft::cp::testing
