#include "controlplane/fpm/fpm_decoder.h"

#include <linux/netlink.h>

#include <cstring>

#include "absl/strings/str_format.h"

namespace weft::cp::fpm {

void FpmFrameReader::Append(std::span<const uint8_t> bytes) {
  // Compact before growing so a long-lived connection keeps a buffer of about one frame.
  if (read_pos_ > 0 && (read_pos_ == buffer_.size() || read_pos_ >= buffer_.size() / 2)) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<ptrdiff_t>(read_pos_));
    read_pos_ = 0;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

absl::StatusOr<std::optional<std::span<const uint8_t>>> FpmFrameReader::Next() {
  if (!error_.ok()) return error_;
  if (buffered() < kFpmHeaderSize) return std::nullopt;
  const uint8_t* p = buffer_.data() + read_pos_;
  const uint8_t version = p[0];
  const uint8_t type = p[1];
  const size_t length = static_cast<size_t>(p[2]) << 8 | p[3];
  if (version != kFpmVersion) {
    error_ = absl::InvalidArgumentError(absl::StrFormat(
        "FPM frame at stream offset %d: version %d, expected %d", stream_offset_, version,
        kFpmVersion));
  } else if (type != kFpmTypeNetlink) {
    error_ = absl::InvalidArgumentError(absl::StrFormat(
        "FPM frame at stream offset %d: message type %d, expected %d (netlink)", stream_offset_,
        type, kFpmTypeNetlink));
  } else if (length < kFpmHeaderSize) {
    error_ = absl::InvalidArgumentError(absl::StrFormat(
        "FPM frame at stream offset %d: length %d is shorter than the %d-byte header",
        stream_offset_, length, kFpmHeaderSize));
  }
  if (!error_.ok()) return error_;
  if (buffered() < length) return std::nullopt;
  std::span<const uint8_t> payload(p + kFpmHeaderSize, length - kFpmHeaderSize);
  read_pos_ += length;
  stream_offset_ += length;
  ++frames_;
  return payload;
}

absl::Status DecodeFpmFrame(std::span<const uint8_t> payload, FpmFrame& out) {
  out.Clear();
  size_t offset = 0;
  int index = 0;
  while (offset < payload.size()) {
    const size_t left = payload.size() - offset;
    if (left < sizeof(nlmsghdr)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "netlink message %d at frame offset %d: %d bytes left, too few for a %d-byte nlmsghdr",
          index, offset, left, sizeof(nlmsghdr)));
    }
    uint32_t nlmsg_len;
    std::memcpy(&nlmsg_len, payload.data() + offset, sizeof(nlmsg_len));
    if (nlmsg_len < sizeof(nlmsghdr)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "netlink message %d at frame offset %d: nlmsg_len %d is shorter than the nlmsghdr",
          index, offset, nlmsg_len));
    }
    if (nlmsg_len > left) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "netlink message %d at frame offset %d: nlmsg_len %d exceeds the %d bytes left in the "
          "frame",
          index, offset, nlmsg_len, left));
    }
    absl::Status s = DecodeNetlinkMessage(payload.subspan(offset, nlmsg_len), out);
    if (!s.ok()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "netlink message %d at frame offset %d: %s", index, offset, s.message()));
    }
    // Messages are 4-byte aligned; the last one may omit its padding.
    offset += std::min<size_t>(NLMSG_ALIGN(nlmsg_len), left);
    ++index;
  }
  return absl::OkStatus();
}

const char* SkipReasonName(SkipReason r) {
  switch (r) {
    case SkipReason::kNeighbor: return "neighbor";
    case SkipReason::kMplsRoute: return "mpls_route";
    case SkipReason::kOtherFamily: return "other_family";
    case SkipReason::kSourceRoute: return "source_route";
    case SkipReason::kUnknownType: return "unknown_type";
    case SkipReason::kCount: break;
  }
  return "?";
}

}  // namespace weft::cp::fpm
