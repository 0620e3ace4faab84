// ProbeServer: the small HTTP side of a Manager (`ecrhelm controller`), as
// controller-runtime's manager has it: Prometheus scrapes /metrics on
// --metrics-bind-address, and the kubelet's probes hit /healthz and /readyz on
// --health-probe-bind-address. Built on cpp-httplib with a tiny thread pool;
// nothing here ever reveals a secret (the registry holds only numbers and
// object names).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "metrics/registry.h"

namespace httplib {
class Server;
}

namespace ecrhelm::runtime {

// A --*-bind-address value, as controller-runtime reads it: "0" disables,
// ":8080" is every interface, "127.0.0.1:8080", "localhost:8080" and
// "[::1]:8080" name one; port 0 picks a free port.
struct BindAddress {
  std::string host;  // "0.0.0.0" for ":PORT"; brackets of IPv6 literals removed
  int port = 0;
};
// nullopt = disabled ("0" or ""). Throws Error(kInvalidInput) naming `flag` on anything else
// that is not HOST:PORT with PORT in 0..65535.
std::optional<BindAddress> parse_bind_address(const std::string& value,
                                              const std::string& flag = "bind address");

// Checks return nullopt when healthy, else the reason (a short, secret-free sentence).
using ProbeCheck = std::function<std::optional<std::string>()>;

struct ProbeServerOptions {
  std::string metrics_bind_address = ":8080";
  std::string health_probe_bind_address = ":8081";
  const metrics::MetricsRegistry* metrics = nullptr;  // /metrics renders it; null = empty body
  ProbeCheck readiness;                               // unset = always ready
  ProbeCheck liveness;                                // unset = alive while the server runs
};

// Worker threads per listening server: probes and scrapes are rare and quick.
inline constexpr size_t kProbeServerThreads = 2;
// Request limits: the endpoints take no body and answer at once.
inline constexpr size_t kProbeServerMaxRequestBytes = 4096;
inline constexpr int kProbeServerReadTimeoutSeconds = 5;
inline constexpr int kProbeServerWriteTimeoutSeconds = 5;
// An idle keep-alive connection is dropped after this, which also bounds stop().
inline constexpr int kProbeServerKeepAliveSeconds = 1;
// How long start() waits for a listening thread to run.
inline constexpr std::chrono::milliseconds kProbeServerStartTimeout{5000};

// Serves /metrics (text format 0.0.4, Content-Type kMetricsContentType) on
// the metrics address, and /healthz (200 "ok", or 503 and the reason) and
// /readyz (200 "ok" when ready, else 503 and the reason) on the health
// address. The same address string for both = one server with all three
// paths. Anything else is 404.
class ProbeServer {
 public:
  explicit ProbeServer(ProbeServerOptions opts);
  ~ProbeServer();  // stop()
  ProbeServer(const ProbeServer&) = delete;
  ProbeServer& operator=(const ProbeServer&) = delete;

  // Binds and starts serving on background threads; returns once listening.
  // Throws Error(kInvalidInput) for a bad address, Error(kNetwork) when a
  // port cannot be bound. Call once.
  void start();
  // Stops listening and joins the threads. Idempotent.
  void stop();

  // The bound ports (useful with port 0); 0 when that endpoint is disabled or not started.
  int metrics_port() const { return metrics_port_; }
  int health_port() const { return health_port_; }

 private:
  struct Listener {
    std::unique_ptr<httplib::Server> server;
    std::thread thread;
  };
  int listen(const BindAddress& addr, bool metrics, bool probes, const std::string& flag);

  ProbeServerOptions opts_;
  std::vector<Listener> listeners_;
  int metrics_port_ = 0;
  int health_port_ = 0;
  bool started_ = false;
};

}  // namespace ecrhelm::runtime
