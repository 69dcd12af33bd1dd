// Validation of traffic-manager configuration, for the Dataplane API and the config file loader.
// Each returns OK or INVALID_ARGUMENT whose message names the offending field (prefixed with the
// caller's `field` path, e.g. "ports[2].shaper") and the values involved. The pieces' constructors
// assume a validated config.
#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "dataplane/tm/buffer_accounting.h"
#include "dataplane/tm/ecn_marker.h"
#include "dataplane/tm/egress_queues.h"
#include "dataplane/tm/pfc_generator.h"
#include "dataplane/tm/pfc_watchdog.h"
#include "dataplane/tm/port_shaper.h"

namespace weft::dp::tm {

// Limits that keep the integer arithmetic of the pieces inside 64 bits.
inline constexpr uint64_t kMaxRateBps = 1'600'000'000'000ULL;  // 1.6 Tb/s
inline constexpr uint64_t kMaxBurstBytes = 256ULL << 20;       // 256 MiB
inline constexpr uint32_t kMaxQueueCapacityPackets = 1u << 20;
inline constexpr uint32_t kMaxDwrrWeight = 1000;
inline constexpr uint64_t kMaxPoolBytes = 1ULL << 40;

absl::Status ValidatePortShaperConfig(const PortShaperConfig& c, absl::string_view field);
absl::Status ValidateEgressQueuesConfig(const EgressQueuesConfig& c, absl::string_view field);
absl::Status ValidateBufferConfig(const BufferConfig& c, uint64_t default_headroom_bytes,
                                  absl::string_view field);
absl::Status ValidateHeadroomInputs(const HeadroomInputs& c, absl::string_view field);
absl::Status ValidateWredProfile(const WredProfile& c, absl::string_view field);
absl::Status ValidatePfcGeneratorConfig(const PfcGeneratorConfig& c, absl::string_view field);
absl::Status ValidatePfcWatchdogConfig(const PfcWatchdogConfig& c, absl::string_view field);

}  // namespace weft::dp::tm
