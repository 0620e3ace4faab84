// scripts/testbed/fault_proxy.py (issue 18) in front of one test-bed peer:
// started on a free loopback port with a schedule of faults, driven and read
// through its control port (stats per rule and per request kind, the write
// log), stopped with SIGTERM on destruction.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "support/testbed.h"

namespace ecrhelm::test {

class FaultProxy {
 public:
  struct Options {
    std::string mode = "http";  // "http" or "tcp"
    nlohmann::json schedule = {{"rules", nlohmann::json::array()}};
    double connection_deadline = 120;  // seconds; every connection ends by then
    double idle_timeout = 60;
    std::vector<std::string> extra_args;  // e.g. --tls-cert F --tls-key K --upstream-tls ...
  };
  // Forwards 127.0.0.1:port() to 127.0.0.1:upstream_port.
  FaultProxy(int upstream_port, Options opts);
  explicit FaultProxy(int upstream_port) : FaultProxy(upstream_port, Options{}) {}

  int port() const { return port_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string url() const { return "http://" + host(); }

  // Replaces the rules (their counters start at 0).
  void set_schedule(const nlohmann::json& schedule) const;
  // Counters, rule states and the log back to 0; the rules stay.
  void reset() const;
  // {"requests", "connections", "kinds": {...}, "rules": {name: {"matched", "applied"}}}
  nlohmann::json stats() const;
  // Requests of one kind so far (an AWS operation such as "GetAuthorizationToken",
  // "GET blobs", "PATCH secrets"...).
  int kind(const std::string& kind) const;
  // How many requests rule `name` was applied to.
  int applied(const std::string& name) const;
  // The write log (every request with all = true).
  nlohmann::json log(bool all = false) const;

 private:
  nlohmann::json control(const std::string& method, const std::string& path,
                         const std::string& body = "") const;
  TempDir dir_;
  int port_ = 0;
  int control_port_ = 0;
  std::unique_ptr<ChildProcess> proc_;
};

}  // namespace ecrhelm::test
