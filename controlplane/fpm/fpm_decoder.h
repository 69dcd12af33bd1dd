// The FPM stream decoder: bytes from zebra's dplane_fpm_nl connection in, decoded frames out.
//
// Two pure pieces:
// - FpmFrameReader cuts the byte stream into frames (version 1, type 1 = netlink, u16 length in
//   network order including the 4-byte header). Reads may split frames anywhere.
// - DecodeFpmFrame splits one frame's payload into netlink messages and decodes routes and next
//   hops into the plain structs of fpm_messages.h.
// A framing error (bad version/type, length < 4 or beyond the data, truncated netlink header or
// attribute, an attribute whose size contradicts its type) comes back as INVALID_ARGUMENT whose
// message names what was wrong; the caller closes the connection. Well-formed messages of other
// kinds are counted in FpmFrame::skipped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "controlplane/fpm/fpm_messages.h"

namespace weft::cp::fpm {

inline constexpr size_t kFpmHeaderSize = 4;
inline constexpr uint8_t kFpmVersion = 1;
inline constexpr uint8_t kFpmTypeNetlink = 1;

class FpmFrameReader {
 public:
  // Appends bytes read from the connection. Spans returned by Next() become invalid.
  void Append(std::span<const uint8_t> bytes);

  // The payload (netlink messages) of the next complete frame; nullopt when more bytes are
  // needed; an error when the buffered bytes cannot be a valid frame header (the stream is then
  // unusable and the same error is returned again).
  absl::StatusOr<std::optional<std::span<const uint8_t>>> Next();

  size_t buffered() const { return buffer_.size() - read_pos_; }
  uint64_t frames() const { return frames_; }

 private:
  std::vector<uint8_t> buffer_;
  size_t read_pos_ = 0;
  uint64_t stream_offset_ = 0;  // offset of buffer_[read_pos_] in the whole stream, for messages
  uint64_t frames_ = 0;
  absl::Status error_;
};

// Decodes the netlink messages of one frame payload into `out` (cleared first). Pure: the result
// depends only on `payload`. On error `out` holds an unspecified partial result.
absl::Status DecodeFpmFrame(std::span<const uint8_t> payload, FpmFrame& out);

// Decodes one netlink message (header included), appending to `out`. Exposed for tests.
absl::Status DecodeNetlinkMessage(std::span<const uint8_t> message, FpmFrame& out);

}  // namespace weft::cp::fpm
