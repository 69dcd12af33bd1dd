// libFuzzer target for the packet parser and the per-packet stages that read headers (classify,
// flow hash, rewrite). The frame is given to the stages in an mbuf whose buffer is exactly the
// input's size, so any read beyond the frame is an ASan report. No EAL needed.
#include <rte_mbuf.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "dataplane/stages/classify.h"
#include "dataplane/stages/nexthop_select.h"
#include "dataplane/stages/parse.h"
#include "dataplane/stages/rewrite.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace weft::dp;
  if (size == 0 || size > 9216) return 0;
  std::vector<uint8_t> frame(data, data + size);
  rte_mbuf m{};
  m.buf_addr = frame.data();
  m.buf_len = static_cast<uint16_t>(size);
  m.data_off = 0;
  m.data_len = static_cast<uint16_t>(size);
  m.pkt_len = static_cast<uint32_t>(size);
  m.nb_segs = 1;
  const rte_ether_addr port_mac{{0x02, 0, 0, 0, 0, 0xa0}};
  PacketMeta meta;
  ParsePacket(&m, port_mac, 1, meta);
  if (meta.family) ClassifyPacket(DscpMap(), meta);
  if (meta.verdict == Verdict::kForward) {
    if (meta.l3_len > size) __builtin_trap();  // the parser promised the L3 packet is present
    HashConfig all;
    all.fields = ~0u & 0x7f;
    volatile uint32_t h = PacketFlowHash(meta, all);
    (void)h;
    RewritePacket(&m, meta, port_mac, port_mac);
  }
  return 0;
}
