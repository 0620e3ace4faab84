// ProbeServer on loopback, fetched with the project's own HTTP client:
// /metrics, /healthz and /readyz, one or two servers, controller-runtime's
// bind address forms, and a clean stop.
#include "runtime/probe_server.h"

#include <gtest/gtest.h>

#include <atomic>

#include "http/client.h"
#include "support/testbed.h"
#include "util/error.h"

namespace ecrhelm::runtime {
namespace {

http::Response fetch(int port, const std::string& path) {
  http::CurlHttpClient client;
  http::Request req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + path;
  return client.send(req);
}

std::string content_type(const http::Response& r) {
  return r.headers.get("Content-Type").value_or("<none>");
}

TEST(BindAddress, ControllerRuntimeForms) {
  EXPECT_FALSE(parse_bind_address("0"));
  EXPECT_FALSE(parse_bind_address(""));
  auto all = parse_bind_address(":8080");
  ASSERT_TRUE(all);
  EXPECT_EQ(all->host, "0.0.0.0");
  EXPECT_EQ(all->port, 8080);
  auto one = parse_bind_address("127.0.0.1:9443");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->host, "127.0.0.1");
  EXPECT_EQ(one->port, 9443);
  auto v6 = parse_bind_address("[::1]:0");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 0);
  EXPECT_EQ(parse_bind_address("localhost:81")->host, "localhost");
  for (const char* bad : {"8080", ":", ":http", ":65536", ":-1", "::1:80", "host:80x"}) {
    EXPECT_THROW(parse_bind_address(bad, "--metrics-bind-address"), Error) << bad;
  }
  try {
    parse_bind_address("8080", "--metrics-bind-address");
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_NE(std::string(e.what()).find("--metrics-bind-address"), std::string::npos);
  }
}

TEST(ProbeServer, TwoServersEachServeTheirOwnPaths) {
  metrics::MetricsRegistry registry;
  auto calls = registry.counter("externalsecret_sync_calls_total", "Total sync calls",
                                {"name", "namespace"});
  calls.inc({"repo", "argocd"});
  std::atomic<bool> ready{false};
  ProbeServerOptions opts;
  opts.metrics_bind_address = "127.0.0.1:" + std::to_string(test::free_port());
  opts.health_probe_bind_address = "127.0.0.1:" + std::to_string(test::free_port());
  opts.metrics = &registry;
  opts.readiness = [&]() -> std::optional<std::string> {
    if (ready) return std::nullopt;
    return "informer caches have not synced";
  };
  ProbeServer server(opts);
  server.start();
  ASSERT_NE(server.metrics_port(), 0);
  ASSERT_NE(server.health_port(), 0);
  ASSERT_NE(server.metrics_port(), server.health_port());

  auto m = fetch(server.metrics_port(), "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.body, registry.render());
  EXPECT_NE(m.body.find("externalsecret_sync_calls_total{name=\"repo\",namespace=\"argocd\"} 1\n"),
            std::string::npos);
  EXPECT_EQ(content_type(m).rfind("text/plain; version=0.0.4", 0), 0u) << content_type(m);
  calls.inc({"repo", "argocd"});  // every scrape renders afresh
  EXPECT_NE(fetch(server.metrics_port(), "/metrics").body.find("} 2\n"), std::string::npos);

  auto h = fetch(server.health_port(), "/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body, "ok");
  auto not_ready = fetch(server.health_port(), "/readyz");
  EXPECT_EQ(not_ready.status, 503);
  EXPECT_EQ(not_ready.body, "informer caches have not synced\n");
  ready = true;
  auto r = fetch(server.health_port(), "/readyz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok");

  EXPECT_EQ(fetch(server.health_port(), "/metrics").status, 404);
  EXPECT_EQ(fetch(server.metrics_port(), "/readyz").status, 404);
  EXPECT_EQ(fetch(server.metrics_port(), "/nothing").status, 404);

  const int port = server.metrics_port();
  server.stop();
  EXPECT_EQ(server.metrics_port(), 0);
  EXPECT_THROW(fetch(port, "/metrics"), Error);  // nothing listens any more
  server.stop();                                 // idempotent
}

TEST(ProbeServer, OneAddressForBothIsOneServerWithEveryPath) {
  metrics::MetricsRegistry registry;
  registry.counter("ecrhelm_token_cache_hits_total", "hits");
  ProbeServerOptions opts;
  opts.metrics_bind_address = opts.health_probe_bind_address = "127.0.0.1:0";
  opts.metrics = &registry;
  ProbeServer server(opts);
  server.start();
  ASSERT_GT(server.metrics_port(), 0);
  EXPECT_EQ(server.metrics_port(), server.health_port());
  EXPECT_EQ(fetch(server.metrics_port(), "/metrics").body,
            "# HELP ecrhelm_token_cache_hits_total hits\n"
            "# TYPE ecrhelm_token_cache_hits_total counter\n"
            "ecrhelm_token_cache_hits_total 0\n");
  EXPECT_EQ(fetch(server.metrics_port(), "/healthz").status, 200);
  EXPECT_EQ(fetch(server.metrics_port(), "/readyz").status, 200);  // no readiness check: ready
}

TEST(ProbeServer, FailingAndThrowingChecksAnswer503WithTheReason) {
  ProbeServerOptions opts;
  opts.metrics_bind_address = "0";
  opts.health_probe_bind_address = "127.0.0.1:0";
  opts.liveness = []() -> std::optional<std::string> { return "watch loop stalled"; };
  opts.readiness = []() -> std::optional<std::string> { throw Error(ErrorKind::kRemote, "boom"); };
  ProbeServer server(opts);
  server.start();
  EXPECT_EQ(server.metrics_port(), 0);  // "0" disables
  auto h = fetch(server.health_port(), "/healthz");
  EXPECT_EQ(h.status, 503);
  EXPECT_EQ(h.body, "watch loop stalled\n");
  auto r = fetch(server.health_port(), "/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "check failed: boom\n");
}

TEST(ProbeServer, BothDisabledStartsNothing) {
  ProbeServerOptions opts;
  opts.metrics_bind_address = "0";
  opts.health_probe_bind_address = "0";
  ProbeServer server(opts);
  server.start();
  EXPECT_EQ(server.metrics_port(), 0);
  EXPECT_EQ(server.health_port(), 0);
}

TEST(ProbeServer, APortInUseIsANetworkErrorAndNothingKeepsRunning) {
  ProbeServerOptions first;
  first.metrics_bind_address = "127.0.0.1:0";
  first.health_probe_bind_address = "0";
  ProbeServer a(first);
  a.start();
  ProbeServerOptions second;
  second.metrics_bind_address = "127.0.0.1:" + std::to_string(test::free_port());
  second.health_probe_bind_address = "127.0.0.1:" + std::to_string(a.metrics_port());
  ProbeServer b(second);
  try {
    b.start();
    FAIL() << "bound a port already in use";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNetwork);
    EXPECT_NE(std::string(e.what()).find("--health-probe-bind-address"), std::string::npos);
  }
  EXPECT_EQ(b.metrics_port(), 0);  // the metrics server it had started was stopped
  EXPECT_EQ(fetch(a.metrics_port(), "/metrics").status, 200);
}

}  // namespace
}  // namespace ecrhelm::runtime
