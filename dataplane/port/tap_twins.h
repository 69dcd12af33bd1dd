// The TAP twins of one switch: fds obtained from the TAP keeper (started on demand), each TAP given
// its port's MAC and MTU and set administratively up. Closing our fds leaves the TAPs to the keeper.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "dataplane/port/port.h"

namespace weft::dp {

class TapTwins {
 public:
  TapTwins() = default;
  TapTwins(const TapTwins&) = delete;
  TapTwins& operator=(const TapTwins&) = delete;
  ~TapTwins() { Close(); }

  // One TAP per port, named like the port; fills port.tap_name. `keeper_exe` is the binary to run
  // as `--tap-keeper run_dir` when no keeper serves run_dir yet.
  absl::Status Open(const std::string& run_dir, const std::string& keeper_exe, PortTable& ports);
  void Close();
  int fd(uint16_t port) const { return port < fds_.size() ? fds_[port] : -1; }

 private:
  std::vector<int> fds_;
};

}  // namespace weft::dp
