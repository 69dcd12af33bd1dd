// Byte-exact tests of the FPM stream decoder on hand-built frames.
#include "controlplane/fpm/fpm_decoder.h"
#include "controlplane/fpm/fpm_encoder.h"

#include <gtest/gtest.h>

#include "tests/controlplane/fpm/fpm_frame_builder.h"

namespace weft::cp::fpm {
namespace {

using testing::Bytes;
using testing::Concat;
using testing::Frame;
using testing::MultipathEntry;
using testing::NexthopBuilder;
using testing::RouteBuilder;

IpPrefix P(const char* text) { return *IpPrefix::Parse(text); }
IpAddress A(const char* text) { return *IpAddress::Parse(text); }

// Feeds `stream` to a reader in pieces cut at `cuts` and decodes every frame.
absl::Status DecodeStream(const Bytes& stream, const std::vector<size_t>& cuts,
                          std::vector<FpmFrame>& frames) {
  FpmFrameReader reader;
  size_t from = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(stream.size());
  for (size_t to : ends) {
    reader.Append(std::span(stream).subspan(from, to - from));
    from = to;
    while (true) {
      auto next = reader.Next();
      if (!next.ok()) return next.status();
      if (!next->has_value()) break;
      FpmFrame f;
      absl::Status s = DecodeFpmFrame(**next, f);
      if (!s.ok()) return s;
      frames.push_back(std::move(f));
    }
  }
  if (reader.buffered() != 0) return absl::DataLossError("bytes left over");
  return absl::OkStatus();
}

FpmFrame DecodeOne(const Bytes& frame) {
  std::vector<FpmFrame> frames;
  absl::Status s = DecodeStream(frame, {}, frames);
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(frames.size(), 1u);
  return frames.empty() ? FpmFrame{} : frames[0];
}

std::string DecodeError(const Bytes& stream) {
  std::vector<FpmFrame> frames;
  absl::Status s = DecodeStream(stream, {}, frames);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  return std::string(s.message());
}

Bytes NhgFrame() {
  return Frame({
      NexthopBuilder(false, AF_INET, 11).Addr(NHA_GATEWAY, "10.0.0.2").U32(NHA_OIF, 5).Finish(),
      NexthopBuilder(false, AF_INET6, 12).Addr(NHA_GATEWAY, "fe80::1").U32(NHA_OIF, 6).Finish(),
      [] {
        nexthop_grp members[2] = {{11, 0, 0, 0}, {12, 99, 0, 0}};
        return NexthopBuilder(false, AF_UNSPEC, 20).Attr(NHA_GROUP, members, sizeof(members))
            .Finish();
      }(),
      RouteBuilder(false, AF_INET, 24).Addr(RTA_DST, "198.51.100.0").U32(RTA_NH_ID, 20)
          .U32(RTA_PRIORITY, 20).Finish(),
  });
}

TEST(FpmDecoder, SeveralMessagesPerFrame) {
  FpmFrame f = DecodeOne(NhgFrame());
  ASSERT_EQ(f.messages.size(), 4u);
  const auto& nh1 = std::get<NexthopMessage>(f.messages[0]);
  EXPECT_EQ(nh1.id, 11u);
  EXPECT_EQ(nh1.gateway, A("10.0.0.2"));
  EXPECT_EQ(nh1.ifindex, 5u);
  const auto& nh2 = std::get<NexthopMessage>(f.messages[1]);
  EXPECT_EQ(nh2.gateway, A("fe80::1"));
  const auto& group = std::get<NexthopMessage>(f.messages[2]);
  EXPECT_EQ(group.id, 20u);
  ASSERT_EQ(group.group.size(), 2u);
  EXPECT_EQ(group.group[0], (NexthopGroupMember{11, 1}));
  EXPECT_EQ(group.group[1], (NexthopGroupMember{12, 100}));  // weight on the wire + 1
  const auto& route = std::get<RouteMessage>(f.messages[3]);
  EXPECT_FALSE(route.is_delete);
  EXPECT_EQ(route.prefix, P("198.51.100.0/24"));
  EXPECT_EQ(route.nexthop_id, 20u);
  EXPECT_EQ(route.priority, 20u);
  EXPECT_EQ(route.table, static_cast<uint32_t>(RT_TABLE_MAIN));
  EXPECT_EQ(route.protocol, 196);
  EXPECT_TRUE(route.nexthops.empty());
}

TEST(FpmDecoder, PartialReadsSplitAtEveryByte) {
  Bytes stream = Concat({NhgFrame(), Frame({}), NhgFrame()});
  std::vector<FpmFrame> whole;
  ASSERT_TRUE(DecodeStream(stream, {}, whole).ok());
  ASSERT_EQ(whole.size(), 3u);
  for (size_t cut = 1; cut < stream.size(); ++cut) {
    std::vector<FpmFrame> split;
    ASSERT_TRUE(DecodeStream(stream, {cut}, split).ok()) << "cut at " << cut;
    ASSERT_EQ(split.size(), 3u) << "cut at " << cut;
    EXPECT_EQ(std::get<RouteMessage>(split[2].messages[3]).prefix, P("198.51.100.0/24"));
  }
  std::vector<size_t> every_byte;
  for (size_t i = 1; i < stream.size(); ++i) every_byte.push_back(i);
  std::vector<FpmFrame> bytewise;
  ASSERT_TRUE(DecodeStream(stream, every_byte, bytewise).ok());
  EXPECT_EQ(bytewise.size(), 3u);
}

TEST(FpmDecoder, IncompleteFrameWaitsForMoreBytes) {
  Bytes frame = NhgFrame();
  FpmFrameReader reader;
  reader.Append(std::span(frame).first(frame.size() - 1));
  auto next = reader.Next();
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next->has_value());
  reader.Append(std::span(frame).last(1));
  next = reader.Next();
  ASSERT_TRUE(next.ok());
  EXPECT_TRUE(next->has_value());
}

TEST(FpmDecoder, FramingErrorsNameWhatWasWrong) {
  EXPECT_NE(DecodeError(Frame({}, /*version=*/2)).find("version 2"), std::string::npos);
  EXPECT_NE(DecodeError(Frame({}, 1, /*type=*/2)).find("message type 2"), std::string::npos);
  EXPECT_NE(DecodeError(Bytes{1, 1, 0, 3}).find("length 3"), std::string::npos);
  // A frame error is sticky: the stream cannot be resynchronised.
  FpmFrameReader reader;
  Bytes bad = {9, 1, 0, 4};
  reader.Append(bad);
  EXPECT_FALSE(reader.Next().ok());
  reader.Append(NhgFrame());
  EXPECT_FALSE(reader.Next().ok());
}

TEST(FpmDecoder, NetlinkLengthBeyondFrame) {
  Bytes msg = RouteBuilder(false, AF_INET, 8).Addr(RTA_DST, "10.0.0.0").Finish();
  msg[0] = static_cast<uint8_t>(msg.size() + 8);  // nlmsg_len claims more than the frame holds
  EXPECT_NE(DecodeError(Frame({msg})).find("exceeds"), std::string::npos);
  Bytes tiny = msg;
  tiny[0] = 8;
  EXPECT_NE(DecodeError(Frame({tiny})).find("nlmsg_len 8"), std::string::npos);
}

TEST(FpmDecoder, TruncatedNetlinkHeader) {
  Bytes good = RouteBuilder(false, AF_INET, 8).Addr(RTA_DST, "10.0.0.0").Finish();
  Bytes junk(10, 0);
  EXPECT_NE(DecodeError(Frame({good, junk})).find("too few for a 16-byte nlmsghdr"),
            std::string::npos);
}

TEST(FpmDecoder, TruncatedAttribute) {
  // RTA_DST claims 8 bytes of payload, the message ends after 4.
  Bytes msg = RouteBuilder(false, AF_INET, 8).Raw({12, 0, RTA_DST, 0, 10, 0, 0, 0}).Finish();
  std::string err = DecodeError(Frame({msg}));
  EXPECT_NE(err.find("RTM_NEWROUTE"), std::string::npos) << err;
  EXPECT_NE(err.find("attribute type 1"), std::string::npos) << err;
  // An attribute header cut in two.
  Bytes half = RouteBuilder(false, AF_INET, 0).Raw({8, 0}).Finish();
  EXPECT_NE(DecodeError(Frame({half})).find("truncated attribute header"), std::string::npos);
  // An address attribute whose size does not match the route's family.
  Bytes wrong = RouteBuilder(false, AF_INET, 8).Addr(RTA_DST, "2001:db8::").Finish();
  EXPECT_NE(DecodeError(Frame({wrong})).find("RTA_DST of 16 bytes"), std::string::npos);
  // rtmsg itself cut short.
  Bytes short_body = testing::NetlinkMessageBuilder(RTM_NEWROUTE, 0).Raw({2, 24}).Finish();
  EXPECT_NE(DecodeError(Frame({short_body})).find("struct rtmsg"), std::string::npos);
}

TEST(FpmDecoder, DeleteThenNewInOneFrame) {
  Bytes del = RouteBuilder(true, AF_INET, 24, RTN_UNSPEC).Addr(RTA_DST, "198.51.100.0")
                  .U32(RTA_PRIORITY, 20).Finish();
  Bytes add = RouteBuilder(false, AF_INET, 24).Addr(RTA_DST, "198.51.100.0").U32(RTA_NH_ID, 7)
                  .Finish();
  FpmFrame f = DecodeOne(Frame({del, add}));
  ASSERT_EQ(f.messages.size(), 2u);
  EXPECT_TRUE(std::get<RouteMessage>(f.messages[0]).is_delete);
  EXPECT_FALSE(std::get<RouteMessage>(f.messages[1]).is_delete);
  EXPECT_EQ(std::get<RouteMessage>(f.messages[1]).nexthop_id, 7u);
}

TEST(FpmDecoder, InlineMultipathWeights) {
  Bytes mp = Concat({MultipathEntry(5, 0, "10.0.0.2"), MultipathEntry(6, 2, "10.0.1.2")});
  FpmFrame f = DecodeOne(Frame({RouteBuilder(false, AF_INET, 24).Addr(RTA_DST, "203.0.113.0")
                                    .Attr(RTA_MULTIPATH, mp.data(), mp.size()).Finish()}));
  const auto& r = std::get<RouteMessage>(f.messages.at(0));
  ASSERT_EQ(r.nexthops.size(), 2u);
  EXPECT_EQ(r.nexthops[0], (RouteNexthop{A("10.0.0.2"), 5, 1, false}));
  EXPECT_EQ(r.nexthops[1], (RouteNexthop{A("10.0.1.2"), 6, 3, false}));
}

TEST(FpmDecoder, TruncatedMultipathEntry) {
  Bytes mp = MultipathEntry(5, 0, "10.0.0.2");
  mp[0] = static_cast<uint8_t>(mp.size() + 4);  // rtnh_len past the attribute
  Bytes msg = RouteBuilder(false, AF_INET, 24).Addr(RTA_DST, "203.0.113.0")
                  .Attr(RTA_MULTIPATH, mp.data(), mp.size()).Finish();
  EXPECT_NE(DecodeError(Frame({msg})).find("rtnh_len"), std::string::npos);
}

TEST(FpmDecoder, SingleGatewayOnlinkAndVia) {
  // Inline BGP unnumbered: 169.254.0.1 onlink.
  Bytes onlink = RouteBuilder(false, AF_INET, 24).Addr(RTA_DST, "10.1.0.0")
                     .Addr(RTA_GATEWAY, "169.254.0.1").U32(RTA_OIF, 4).Finish();
  onlink[NLMSG_HDRLEN + 8] = RTNH_F_ONLINK;  // rtm_flags
  // IPv4 route over an IPv6 next hop (RTA_VIA).
  uint8_t via[18] = {AF_INET6, 0, 0xfe, 0x80};
  via[17] = 1;
  Bytes v4v6 = RouteBuilder(false, AF_INET, 24).Addr(RTA_DST, "10.2.0.0")
                   .Attr(RTA_VIA, via, sizeof(via)).U32(RTA_OIF, 4).Finish();
  FpmFrame f = DecodeOne(Frame({onlink, v4v6}));
  const auto& r1 = std::get<RouteMessage>(f.messages.at(0));
  EXPECT_EQ(r1.nexthops.at(0), (RouteNexthop{A("169.254.0.1"), 4, 1, true}));
  const auto& r2 = std::get<RouteMessage>(f.messages.at(1));
  EXPECT_EQ(r2.nexthops.at(0).gateway, A("fe80::1"));
}

TEST(FpmDecoder, RouteTypesTableAndMasking) {
  Bytes bh = RouteBuilder(false, AF_INET6, 48, RTN_BLACKHOLE).Addr(RTA_DST, "2001:db8:300::")
                 .Finish();
  Bytes unreach = RouteBuilder(false, AF_INET, 25, RTN_UNREACHABLE)
                      .Addr(RTA_DST, "192.0.2.128").Finish();
  // Host bits set on the wire are masked; RTA_TABLE overrides rtm_table (tables > 255).
  Bytes table = RouteBuilder(false, AF_INET, 16, RTN_PROHIBIT, 196, RT_TABLE_COMPAT)
                    .Addr(RTA_DST, "10.9.1.1").U32(RTA_TABLE, 1000).Finish();
  Bytes connected = RouteBuilder(false, AF_INET, 24, RTN_UNICAST, 2).Addr(RTA_DST, "10.0.0.0")
                        .U32(RTA_OIF, 3).Finish();
  FpmFrame f = DecodeOne(Frame({bh, unreach, table, connected}));
  ASSERT_EQ(f.messages.size(), 4u);
  EXPECT_EQ(std::get<RouteMessage>(f.messages[0]).type, RouteType::kBlackhole);
  EXPECT_EQ(std::get<RouteMessage>(f.messages[0]).prefix, P("2001:db8:300::/48"));
  EXPECT_EQ(std::get<RouteMessage>(f.messages[1]).type, RouteType::kUnreachable);
  const auto& t = std::get<RouteMessage>(f.messages[2]);
  EXPECT_EQ(t.type, RouteType::kProhibit);
  EXPECT_EQ(t.table, 1000u);
  EXPECT_EQ(t.prefix, P("10.9.0.0/16"));
  const auto& c = std::get<RouteMessage>(f.messages[3]);
  EXPECT_EQ(c.protocol, kProtoKernel);
  EXPECT_EQ(c.nexthops.at(0), (RouteNexthop{IpAddress{}, 3, 1, false}));
}

TEST(FpmDecoder, BlackholeNexthopAndDelete) {
  Bytes bh = NexthopBuilder(false, AF_INET, 30).Attr(NHA_BLACKHOLE, nullptr, 0).Finish();
  Bytes del = NexthopBuilder(true, AF_UNSPEC, 30).Finish();
  FpmFrame f = DecodeOne(Frame({bh, del}));
  ASSERT_EQ(f.messages.size(), 2u);
  EXPECT_TRUE(std::get<NexthopMessage>(f.messages[0]).blackhole);
  EXPECT_TRUE(std::get<NexthopMessage>(f.messages[1]).is_delete);
  EXPECT_EQ(std::get<NexthopMessage>(f.messages[1]).id, 30u);
}

TEST(FpmDecoder, NexthopErrors) {
  Bytes no_id = testing::NetlinkMessageBuilder(RTM_NEWNEXTHOP, 0).Raw(Bytes(8, 0)).Finish();
  no_id[NLMSG_HDRLEN] = AF_INET;
  EXPECT_NE(DecodeError(Frame({no_id})).find("NHA_ID"), std::string::npos);
  uint8_t odd[12] = {1};
  Bytes bad_group = NexthopBuilder(false, AF_UNSPEC, 9).Attr(NHA_GROUP, odd, sizeof(odd)).Finish();
  EXPECT_NE(DecodeError(Frame({bad_group})).find("NHA_GROUP of 12 bytes"), std::string::npos);
}

TEST(FpmDecoder, WellFormedUnsupportedMessagesAreCountedAndSkipped) {
  ndmsg nd{};
  nd.ndm_family = AF_BRIDGE;
  Bytes neigh = testing::NetlinkMessageBuilder(RTM_NEWNEIGH, 0).Put(&nd, sizeof(nd)).Finish();
  uint32_t label = 0x100;
  Bytes mpls = RouteBuilder(false, AF_MPLS, 20).Attr(RTA_DST, &label, 4).Finish();
  Bytes unknown = testing::NetlinkMessageBuilder(200, 0).Raw({1, 2, 3, 4}).Finish();
  Bytes route = RouteBuilder(false, AF_INET, 8).Addr(RTA_DST, "10.0.0.0").Finish();
  FpmFrame f = DecodeOne(Frame({neigh, mpls, unknown, route}));
  ASSERT_EQ(f.messages.size(), 1u);
  EXPECT_EQ(f.skipped[static_cast<size_t>(SkipReason::kNeighbor)], 1u);
  EXPECT_EQ(f.skipped[static_cast<size_t>(SkipReason::kMplsRoute)], 1u);
  EXPECT_EQ(f.skipped[static_cast<size_t>(SkipReason::kUnknownType)], 1u);
}

// The offload notices weftd writes back: one RTM_NEWROUTE per FPM frame with NLM_F_REQUEST and
// RTM_F_OFFLOAD, carrying what zebra sent (its decoder, as zebra's, reads it back unchanged).
TEST(FpmOffloadNotice, RoundTripsEveryRouteShapeWithTheOffloadFlag) {
  Bytes nhg = RouteBuilder(false, AF_INET, 24).Addr(RTA_DST, "198.51.100.0").U32(RTA_NH_ID, 20)
                  .U32(RTA_PRIORITY, 20).Finish();
  auto mp = Concat({MultipathEntry(5, 0, "2001:db8::2"), MultipathEntry(6, 2, "2001:db8::3")});
  Bytes multipath = RouteBuilder(false, AF_INET6, 64).Addr(RTA_DST, "2001:db8:1::")
                        .Attr(RTA_MULTIPATH, mp.data(), mp.size()).Finish();
  Bytes onlink = RouteBuilder(false, AF_INET, 24).Addr(RTA_DST, "10.1.0.0")
                     .Addr(RTA_GATEWAY, "169.254.0.1").U32(RTA_OIF, 4).Finish();
  onlink[NLMSG_HDRLEN + 8] = RTNH_F_ONLINK;
  uint8_t via[18] = {AF_INET6, 0, 0xfe, 0x80};
  via[17] = 1;
  Bytes v4v6 = RouteBuilder(false, AF_INET, 24).Addr(RTA_DST, "10.2.0.0")
                   .Attr(RTA_VIA, via, sizeof(via)).U32(RTA_OIF, 4).Finish();
  Bytes blackhole = RouteBuilder(false, AF_INET6, 48, RTN_BLACKHOLE)
                        .Addr(RTA_DST, "2001:db8:300::").Finish();
  Bytes table = RouteBuilder(false, AF_INET, 16, RTN_UNICAST, 186, RT_TABLE_COMPAT)
                    .Addr(RTA_DST, "10.9.0.0").U32(RTA_TABLE, 1000).Addr(RTA_GATEWAY, "10.0.0.9")
                    .Finish();
  Bytes default_route = RouteBuilder(false, AF_INET, 0).U32(RTA_NH_ID, 7).Finish();
  FpmFrame sent = DecodeOne(Frame({nhg, multipath, onlink, v4v6, blackhole, table, default_route}));
  ASSERT_EQ(sent.messages.size(), 7u);

  Bytes notices;
  for (const FpmMessage& m : sent.messages) {
    const size_t before = notices.size();
    const size_t n = AppendOffloadNotice(std::get<RouteMessage>(m), notices);
    EXPECT_EQ(n, notices.size() - before);
  }
  std::vector<FpmFrame> back;
  ASSERT_TRUE(DecodeStream(notices, {}, back).ok());
  ASSERT_EQ(back.size(), sent.messages.size()) << "one netlink message per FPM frame";

  // Raw bytes: each frame is version 1, type 1, and its message says RTM_F_OFFLOAD.
  size_t at = 0;
  for (size_t i = 0; i < back.size(); ++i) {
    ASSERT_LT(at + kFpmHeaderSize + NLMSG_HDRLEN + sizeof(rtmsg), notices.size() + 1);
    EXPECT_EQ(notices[at], 1);
    EXPECT_EQ(notices[at + 1], 1);
    const size_t frame_len = (size_t{notices[at + 2]} << 8) | notices[at + 3];
    nlmsghdr h;
    std::memcpy(&h, notices.data() + at + kFpmHeaderSize, sizeof(h));
    EXPECT_EQ(h.nlmsg_type, RTM_NEWROUTE);
    EXPECT_EQ(h.nlmsg_len, frame_len - kFpmHeaderSize);
    EXPECT_TRUE(h.nlmsg_flags & NLM_F_REQUEST) << "zebra skips messages without NLM_F_REQUEST";
    rtmsg r;
    std::memcpy(&r, notices.data() + at + kFpmHeaderSize + NLMSG_HDRLEN, sizeof(r));
    EXPECT_TRUE(r.rtm_flags & RTM_F_OFFLOAD) << "notice " << i;
    at += frame_len;

    ASSERT_EQ(back[i].messages.size(), 1u);
    const auto& want = std::get<RouteMessage>(sent.messages[i]);
    const auto& got = std::get<RouteMessage>(back[i].messages[0]);
    EXPECT_FALSE(got.is_delete);
    EXPECT_EQ(got.prefix, want.prefix) << i;
    EXPECT_EQ(got.table, want.table) << i;
    EXPECT_EQ(got.protocol, want.protocol) << i;
    EXPECT_EQ(got.type, want.type) << i;
    EXPECT_EQ(got.priority, want.priority) << i;
    EXPECT_EQ(got.nexthop_id, want.nexthop_id) << i;
    EXPECT_EQ(got.nexthops, want.nexthops) << i;
  }
  EXPECT_EQ(at, notices.size());
  // Spot checks of what the round trip carried.
  EXPECT_EQ(std::get<RouteMessage>(back[1].messages[0]).nexthops.at(1).weight, 3u);
  EXPECT_TRUE(std::get<RouteMessage>(back[2].messages[0]).nexthops.at(0).onlink);
  EXPECT_EQ(std::get<RouteMessage>(back[3].messages[0]).nexthops.at(0).gateway, A("fe80::1"));
  EXPECT_EQ(std::get<RouteMessage>(back[5].messages[0]).table, 1000u);
  EXPECT_EQ(std::get<RouteMessage>(back[6].messages[0]).prefix, P("0.0.0.0/0"));
}

}  // namespace
}  // namespace weft::cp::fpm
