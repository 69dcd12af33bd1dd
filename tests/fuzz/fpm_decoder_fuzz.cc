// libFuzzer target for the FPM stream decoder: arbitrary bytes as zebra's stream, cut into reads
// at offsets the input chooses. Whatever the bytes, the decoder must not crash, read out of
// bounds or hang, and the result must not depend on how the stream was cut into reads.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "controlplane/fpm/fpm_decoder.h"

namespace {

using weft::cp::fpm::DecodeFpmFrame;
using weft::cp::fpm::FpmFrame;
using weft::cp::fpm::FpmFrameReader;

struct Outcome {
  size_t frames = 0;
  size_t messages = 0;
  bool failed = false;
};

// Decodes `stream` handing it to the reader in reads of `read_size` bytes (0: all at once).
Outcome Run(std::span<const uint8_t> stream, size_t read_size) {
  Outcome o;
  FpmFrameReader reader;
  FpmFrame frame;
  size_t pos = 0;
  while (pos < stream.size() && !o.failed) {
    size_t n = read_size == 0 ? stream.size() : std::min(read_size, stream.size() - pos);
    reader.Append(stream.subspan(pos, n));
    pos += n;
    while (true) {
      auto next = reader.Next();
      if (!next.ok()) {
        o.failed = true;
        break;
      }
      if (!next->has_value()) break;
      ++o.frames;
      if (!DecodeFpmFrame(**next, frame).ok()) {
        o.failed = true;
        break;
      }
      o.messages += frame.messages.size();
    }
  }
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the read size; the rest is the stream.
  const size_t read_size = data[0] % 32;
  std::span<const uint8_t> stream(data + 1, size - 1);
  Outcome whole = Run(stream, 0);
  Outcome split = Run(stream, read_size);
  if (whole.frames != split.frames || whole.messages != split.messages ||
      whole.failed != split.failed) {
    std::abort();  // the decoder depends on read boundaries
  }
  // The payload decoder alone, on bytes that never passed the frame reader.
  FpmFrame frame;
  (void)DecodeFpmFrame(stream, frame);
  return 0;
}
