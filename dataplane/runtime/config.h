// The configuration file of weft-dataplane: JSON of weft.dataplane.v1.DataplaneConfig, with the
// defaults the proto comments state filled in, validated as a whole before anything is started.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "weft/dataplane/v1/config.pb.h"

namespace weft::dp {

namespace pb = ::weft::dataplane::v1;

// Limits checked by ValidateConfig (besides the contract's kMaxPorts / kMaxMtu).
inline constexpr uint32_t kMinMtu = 68;
inline constexpr uint32_t kMaxRxQueues = 16;
inline constexpr uint32_t kMaxWorkerLcores = 8;
inline constexpr uint32_t kMinMemoryMb = 64;
inline constexpr uint32_t kMaxMemoryMb = 65536;
inline constexpr uint32_t kMaxMbufPoolSize = 1u << 22;
inline constexpr uint32_t kMaxTbl8Groups = 1u << 20;
// Approximate memory of one mbuf of a port's pool (9216-byte MTU frame, headroom, mbuf and
// mempool headers) and of one FIB tbl8 group (256 entries of 4 bytes), for the memory estimate.
inline constexpr uint32_t kMbufFootprintBytes = 9856;
inline constexpr uint32_t kTbl8GroupBytes = 1024;

// Parses JSON (unknown fields are an error: a typo must not be silently ignored), fills defaults and
// validates. Errors name the field: "switches[0].ports[1].mtu: 9300 exceeds 9216".
absl::StatusOr<pb::DataplaneConfig> ParseConfig(std::string_view json);
// Reads `path` and parses it; errors start with the path.
absl::StatusOr<pb::DataplaneConfig> LoadConfigFile(const std::string& path);

// Fills the defaults of unset fields (in place). Idempotent.
void ApplyConfigDefaults(pb::DataplaneConfig& config);
// Checks a defaulted config; the first problem found comes back as INVALID_ARGUMENT.
absl::Status ValidateConfig(const pb::DataplaneConfig& config);

// "net_af_packet" of "net_af_packet,iface=eth1".
std::string VdevDriver(std::string_view vdev);
// Value of `key` in the vdev's comma-separated key=value arguments, "" when absent.
std::string VdevArg(std::string_view vdev, std::string_view key);

}  // namespace weft::dp
