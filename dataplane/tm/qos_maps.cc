#include "dataplane/tm/qos_maps.h"

#include "absl/strings/str_cat.h"

namespace weft::dp::tm {
namespace {

template <size_t N>
absl::Status CheckEntries(const std::array<uint8_t, N>& map, absl::string_view field,
                          absl::string_view name) {
  for (size_t i = 0; i < N; ++i)
    if (map[i] >= kNumTrafficClasses)
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".", name, "[", i, "]: ", int(map[i]), " is outside [0, 7]"));
  return absl::OkStatus();
}

}  // namespace

QosMaps QosMaps::Default() {
  QosMaps m;
  for (int dscp = 0; dscp < 64; ++dscp) m.dscp_to_tc[dscp] = uint8_t(dscp >> 3);
  for (int i = 0; i < kNumTrafficClasses; ++i) {
    m.pcp_to_tc[i] = uint8_t(i);
    m.tc_to_pg[i] = uint8_t(i);
    m.tc_to_pfc_priority[i] = uint8_t(i);
  }
  return m;
}

absl::Status ValidateQosMaps(const QosMaps& maps, absl::string_view field) {
  if (auto s = CheckEntries(maps.dscp_to_tc, field, "dscp_to_tc"); !s.ok()) return s;
  if (auto s = CheckEntries(maps.pcp_to_tc, field, "pcp_to_tc"); !s.ok()) return s;
  if (auto s = CheckEntries(maps.tc_to_pg, field, "tc_to_pg"); !s.ok()) return s;
  return CheckEntries(maps.tc_to_pfc_priority, field, "tc_to_pfc_priority");
}

}  // namespace weft::dp::tm
