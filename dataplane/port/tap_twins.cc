#include "dataplane/port/tap_twins.h"

#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "dataplane/port/tap.h"
#include "dataplane/port/tap_keeper.h"
#include "dataplane/runtime/log.h"

namespace weft::dp {

absl::Status TapTwins::Open(const std::string& run_dir, const std::string& keeper_exe,
                            PortTable& ports) {
  Close();
  if (absl::Status s = EnsureTapKeeper(run_dir, keeper_exe); !s.ok()) return s;
  std::vector<std::string> names;
  for (uint16_t i = 0; i < ports.size(); ++i) names.push_back(ports.at(i).name);
  absl::StatusOr<std::vector<int>> fds = RequestTaps(run_dir, names);
  if (!fds.ok()) return fds.status();
  fds_ = *std::move(fds);
  for (uint16_t i = 0; i < ports.size(); ++i) {
    Port& port = ports.at(i);
    port.tap_name = port.name;
    // Only touch what differs: a restart must not disturb a TAP that is already right.
    absl::StatusOr<rte_ether_addr> mac = GetNetdevMac(port.name);
    if (!mac.ok() || memcmp(mac->addr_bytes, port.mac.addr_bytes, RTE_ETHER_ADDR_LEN) != 0) {
      if (absl::Status s = SetNetdevMac(port.name, port.mac); !s.ok())
        return absl::InternalError(absl::StrCat("TAP twin ", s.message()));
    }
    absl::StatusOr<uint32_t> mtu = GetNetdevMtu(port.name);
    if (!mtu.ok() || *mtu != port.mtu) {
      if (absl::Status s = SetNetdevMtu(port.name, port.mtu); !s.ok())
        return absl::InternalError(absl::StrCat("TAP twin ", s.message()));
    }
    if (absl::Status s = SetNetdevUp(port.name); !s.ok())
      return absl::InternalError(absl::StrCat("TAP twin ", s.message()));
    Log("tap", "%s: TAP twin ready (fd %d from the keeper of %s)", port.name, fds_[i], run_dir);
  }
  return absl::OkStatus();
}

void TapTwins::Close() {
  for (int fd : fds_)
    if (fd >= 0) close(fd);
  fds_.clear();
}

}  // namespace weft::dp
