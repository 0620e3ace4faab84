#include "runtime/probe_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <sys/socket.h>

#include <charconv>

#include "util/error.h"

namespace ecrhelm::runtime {
namespace {

constexpr int kMaxPort = 65535;
constexpr auto kStartPoll = std::chrono::milliseconds(5);
constexpr const char* kAllInterfaces = "0.0.0.0";
constexpr const char* kOk = "ok";
constexpr int kHttpOk = 200;
constexpr int kHttpUnavailable = 503;

// Runs a check; a throwing check counts as failing with its message.
std::optional<std::string> run_check(const ProbeCheck& check) {
  if (!check) return std::nullopt;
  try {
    return check();
  } catch (const std::exception& e) {
    return std::string("check failed: ") + e.what();
  }
}

void answer(httplib::Response& res, const std::optional<std::string>& failure) {
  if (failure) {
    res.status = kHttpUnavailable;
    res.set_content(*failure + "\n", "text/plain; charset=utf-8");
  } else {
    res.status = kHttpOk;
    res.set_content(kOk, "text/plain; charset=utf-8");
  }
}

}  // namespace

std::optional<BindAddress> parse_bind_address(const std::string& value, const std::string& flag) {
  if (value.empty() || value == "0") return std::nullopt;
  const size_t colon = value.rfind(':');
  if (colon == std::string::npos) {
    fail(ErrorKind::kInvalidInput,
         "{} \"{}\" is not HOST:PORT (\":8080\" for every interface, \"0\" to disable)", flag,
         value);
  }
  BindAddress addr;
  addr.host = value.substr(0, colon);
  if (addr.host.size() >= 2 && addr.host.front() == '[' && addr.host.back() == ']') {
    addr.host = addr.host.substr(1, addr.host.size() - 2);
  } else if (addr.host.find(':') != std::string::npos) {
    fail(ErrorKind::kInvalidInput, "{} \"{}\": write an IPv6 address in brackets, as [::1]:8080",
         flag, value);
  }
  if (addr.host.empty()) addr.host = kAllInterfaces;
  const std::string port = value.substr(colon + 1);
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), addr.port);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || addr.port < 0 ||
      addr.port > kMaxPort) {
    fail(ErrorKind::kInvalidInput, "{} \"{}\": the port must be a number from 0 to {}", flag, value,
         kMaxPort);
  }
  return addr;
}

ProbeServer::ProbeServer(ProbeServerOptions opts) : opts_(std::move(opts)) {}

ProbeServer::~ProbeServer() { stop(); }

int ProbeServer::listen(const BindAddress& addr, bool metrics, bool probes,
                        const std::string& flag) {
  Listener l;
  l.server = std::make_unique<httplib::Server>();
  auto& svr = *l.server;
  svr.new_task_queue = [] { return new httplib::ThreadPool(kProbeServerThreads); };
  svr.set_payload_max_length(kProbeServerMaxRequestBytes);
  svr.set_read_timeout(kProbeServerReadTimeoutSeconds, 0);
  svr.set_write_timeout(kProbeServerWriteTimeoutSeconds, 0);
  svr.set_keep_alive_timeout(kProbeServerKeepAliveSeconds);
  // httplib's default adds SO_REUSEPORT, which would let a second process
  // share (and silently split) our port; SO_REUSEADDR alone only allows a
  // quick restart.
  svr.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  if (metrics) {
    const metrics::MetricsRegistry* registry = opts_.metrics;
    svr.Get("/metrics", [registry](const httplib::Request&, httplib::Response& res) {
      res.set_content(registry ? registry->render() : std::string(), metrics::kMetricsContentType);
    });
  }
  if (probes) {
    ProbeCheck live = opts_.liveness;
    ProbeCheck ready = opts_.readiness;
    svr.Get("/healthz", [live](const httplib::Request&, httplib::Response& res) {
      answer(res, run_check(live));
    });
    svr.Get("/readyz", [ready](const httplib::Request&, httplib::Response& res) {
      answer(res, run_check(ready));
    });
  }

  int port = addr.port;
  if (port == 0) {
    port = svr.bind_to_any_port(addr.host);
    if (port <= 0) port = -1;
  } else if (!svr.bind_to_port(addr.host, port)) {
    port = -1;
  }
  if (port < 0) {
    fail(ErrorKind::kNetwork, "{}: cannot listen on {}:{} (in use, or not an address of this host)",
         flag, addr.host, addr.port);
  }
  l.thread = std::thread([&svr] { svr.listen_after_bind(); });
  // Connections queue in the backlog meanwhile; waiting here makes stop() safe
  // (httplib's stop() does nothing until the server runs).
  const auto deadline = std::chrono::steady_clock::now() + kProbeServerStartTimeout;
  while (!svr.is_running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(kStartPoll);
  }
  const bool running = svr.is_running();
  listeners_.push_back(std::move(l));
  if (!running)
    fail(ErrorKind::kInternal, "{}: the HTTP server on port {} did not start", flag, port);
  spdlog::info("probe server: serving {}{}on {}:{}", metrics ? "/metrics " : "",
               probes ? "/healthz /readyz " : "", addr.host, port);
  return port;
}

void ProbeServer::start() {
  if (started_) fail(ErrorKind::kInternal, "ProbeServer::start called twice");
  started_ = true;
  const auto metrics_addr =
      parse_bind_address(opts_.metrics_bind_address, "--metrics-bind-address");
  const auto health_addr =
      parse_bind_address(opts_.health_probe_bind_address, "--health-probe-bind-address");
  try {
    if (metrics_addr && health_addr &&
        opts_.metrics_bind_address == opts_.health_probe_bind_address) {
      metrics_port_ = health_port_ = listen(*metrics_addr, true, true, "--metrics-bind-address");
      return;
    }
    if (metrics_addr) metrics_port_ = listen(*metrics_addr, true, false, "--metrics-bind-address");
    if (health_addr) {
      health_port_ = listen(*health_addr, false, true, "--health-probe-bind-address");
    }
  } catch (...) {
    stop();
    throw;
  }
}

void ProbeServer::stop() {
  for (auto& l : listeners_) {
    if (l.server) l.server->stop();
    if (l.thread.joinable()) l.thread.join();
  }
  listeners_.clear();
  metrics_port_ = 0;
  health_port_ = 0;
}

}  // namespace ecrhelm::runtime
