#include "tests/dataplane/api/api_fixture.h"

#include <arpa/inet.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>

namespace weft::dp::testing {

absl::Status FakePortController::SetAdminState(uint16_t port, bool up) {
  if (!fail_with.ok()) return fail_with;
  admin_calls.emplace_back(port, up);
  Port& p = sw_.ports.at(port);
  const bool was_up = p.up.load();
  p.admin_up.store(up);
  p.up.store(up && p.oper_up.load());
  if (was_up != p.up.load() && sw_.events) sw_.events->PublishPortState(p.name, p.up.load());
  return absl::OkStatus();
}

absl::Status FakePortController::SetMtu(uint16_t port, uint32_t mtu) {
  if (!fail_with.ok()) return fail_with;
  mtu_calls.emplace_back(port, mtu);
  sw_.ports.at(port).mtu = mtu;
  return absl::OkStatus();
}

std::unique_ptr<grpc::ClientContext> Ctx(int seconds) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return ctx;
}

void ApiTest::SetUp() {
  char tmpl[] = "/tmp/weft-dpapi-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  dir_ = tmpl;

  sw_.name = "leaf1";
  sw_.boot_epoch = 0x5eed0001;
  for (int i = 0; i < 3; ++i) {
    Port& p = sw_.ports.Append();
    p.name = "Ethernet" + std::to_string(4 * i);
    p.driver = "net_null";
    p.device = "net_null" + std::to_string(i);
    p.tap_name = p.name;
    p.mac = rte_ether_addr{{0x02, 0, 0, 0, 0, static_cast<uint8_t>(i + 1)}};
    p.admin_up = true;
    p.oper_up = true;
    p.up = true;
  }
  sw_.counters = std::make_unique<SwitchCounters>(sw_.ports.size(), 1);
  // The real tables (rte_fib/rte_fib6, two copies), sized to fit the tests' 256 MB EAL heap.
  TablesOptions options;
  options.max_ipv4_routes = 100'000;
  options.max_ipv6_routes = 100'000;
  options.max_groups = 1024;
  options.ipv4_tbl8_groups = 256;
  options.ipv6_tbl8_groups = 2048;
  options.max_readers = 1;
  options.counters = sw_.counters.get();
  auto tables = ForwardingTables::Create(options, sw_.ports.size());
  ASSERT_TRUE(tables.ok()) << tables.status();
  sw_.tables = std::move(*tables);
  sw_.events = &events_;
  controller_ = std::make_unique<FakePortController>(sw_);

  // A nested directory that does not exist yet: the server must create it.
  auto api = StartDataplaneApi(sw_, *controller_, "unix:" + dir_ + "/run/leaf1/dataplane.sock");
  ASSERT_TRUE(api.ok()) << api.status();
  api_ = std::move(*api);

  channel_ = grpc::CreateChannel("unix:" + dir_ + "/run/leaf1/dataplane.sock",
                                 grpc::InsecureChannelCredentials());
  switch_ = pb::SwitchService::NewStub(channel_);
  ports_ = pb::PortService::NewStub(channel_);
  routes_ = pb::RouteService::NewStub(channel_);
  groups_ = pb::NexthopGroupService::NewStub(channel_);
  neighbors_ = pb::NeighborService::NewStub(channel_);
  locals_ = pb::LocalAddressService::NewStub(channel_);
  counters_ = pb::CounterService::NewStub(channel_);
}

void ApiTest::TearDown() {
  if (api_) api_->Shutdown();
  api_.reset();
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

pb::IpAddress ApiTest::Address(const std::string& text) {
  pb::IpAddress out;
  uint8_t buf[16];
  if (inet_pton(AF_INET, text.c_str(), buf) == 1) {
    out.set_address(buf, 4);
  } else if (inet_pton(AF_INET6, text.c_str(), buf) == 1) {
    out.set_address(buf, 16);
  } else {
    ADD_FAILURE() << "bad address in test: " << text;
  }
  return out;
}

pb::IpPrefix ApiTest::Prefix(const std::string& text) {
  const size_t slash = text.find('/');
  pb::IpPrefix out;
  out.set_address(Address(text.substr(0, slash)).address());
  out.set_length(std::stoul(text.substr(slash + 1)));
  return out;
}

pb::RouteWrite ApiTest::RouteVia(pb::WriteOp op, const std::string& prefix, const std::string& port,
                                 const std::string& nexthop) {
  pb::RouteWrite w;
  w.set_op(op);
  *w.mutable_route()->mutable_prefix() = Prefix(prefix);
  w.mutable_route()->mutable_nexthop()->set_port(port);
  *w.mutable_route()->mutable_nexthop()->mutable_address() = Address(nexthop);
  return w;
}

pb::RouteWrite ApiTest::RouteToGroup(pb::WriteOp op, const std::string& prefix, uint32_t group) {
  pb::RouteWrite w;
  w.set_op(op);
  *w.mutable_route()->mutable_prefix() = Prefix(prefix);
  w.mutable_route()->set_nexthop_group_id(group);
  return w;
}

grpc::Status ApiTest::Write(const std::string& owner, std::vector<pb::RouteWrite> writes,
                            pb::WriteRoutesResponse* response) {
  pb::WriteRoutesRequest request;
  request.set_owner(owner);
  for (auto& w : writes) *request.add_writes() = std::move(w);
  pb::WriteRoutesResponse ignored;
  return routes_->WriteRoutes(Ctx().get(), request, response ? response : &ignored);
}

std::vector<pb::Route> ApiTest::ListAllRoutes(const std::string& owner, uint32_t chunk,
                                              int* chunks) {
  pb::ListRoutesRequest request;
  request.set_owner(owner);
  request.set_chunk_size(chunk);
  auto ctx = Ctx(30);
  auto reader = routes_->ListRoutes(ctx.get(), request);
  std::vector<pb::Route> out;
  pb::ListRoutesResponse response;
  int n = 0;
  while (reader->Read(&response)) {
    ++n;
    for (const auto& r : response.routes()) out.push_back(r);
  }
  grpc::Status status = reader->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
  if (chunks) *chunks = n;
  return out;
}

}  // namespace weft::dp::testing
