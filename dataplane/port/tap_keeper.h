// The TAP keeper: a small detached process (weft-dataplane --tap-keeper RUN_DIR) that opens the TAP
// twins and holds their fds, so that a restart of weft-dataplane neither deletes them nor drops
// their carrier (which would flush neighbours and reset BGP). weft-dataplane gets the same open
// files over a unix socket (RUN_DIR/tap-keeper.sock, SOCK_SEQPACKET) with SCM_RIGHTS.
//
// Protocol, one request and one reply per message:
//   "OPEN <name> <name> ..."  -> "OK" with one fd per name (same order), or "ERR <message>"
//   "SHUTDOWN"                -> "OK"; the keeper deletes the TAPs it holds and exits
// SIGTERM ends the keeper without deleting the TAPs (they stay, persistent, without carrier).
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace weft::dp {

std::string TapKeeperSocketPath(const std::string& run_dir);

// The keeper's main loop; returns the process exit code. Exits at once (0) when a live keeper
// already serves `run_dir`.
int RunTapKeeper(const std::string& run_dir);

// Starts `exe --tap-keeper run_dir` detached (own session, stdio to RUN_DIR/tap-keeper.log) unless a
// keeper already answers, and waits until it does (up to `timeout_ms`).
absl::Status EnsureTapKeeper(const std::string& run_dir, const std::string& exe, int timeout_ms = 5000);

// Asks the keeper of `run_dir` for the fds of `names` (creating missing TAPs). The caller owns the
// returned fds (close them; the keeper keeps its own).
absl::StatusOr<std::vector<int>> RequestTaps(const std::string& run_dir,
                                             const std::vector<std::string>& names);

// Tells the keeper to delete its TAPs and exit. NOT_FOUND when no keeper answers.
absl::Status ShutdownTapKeeper(const std::string& run_dir);

}  // namespace weft::dp
