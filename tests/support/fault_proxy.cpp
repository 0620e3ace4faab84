#include "support/fault_proxy.h"

#include <httplib.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace ecrhelm::test {

FaultProxy::FaultProxy(int upstream_port, Options opts) {
  std::string port_file = dir_.file("ports.json");
  std::vector<std::string> argv = {
      "python3",
      std::string(ECRHELM_SOURCE_DIR) + "/scripts/testbed/fault_proxy.py",
      "--upstream",
      "127.0.0.1:" + std::to_string(upstream_port),
      "--mode",
      opts.mode,
      "--port-file",
      port_file,
      "--schedule",
      dir_.write("schedule.json", opts.schedule.dump()),
      "--connection-deadline",
      std::to_string(opts.connection_deadline),
      "--idle-timeout",
      std::to_string(opts.idle_timeout),
      "--max-seconds",
      "1800"};
  argv.insert(argv.end(), opts.extra_args.begin(), opts.extra_args.end());
  proc_ = std::make_unique<ChildProcess>(argv, std::map<std::string, std::string>{},
                                         dir_.file("proxy.log"));
  for (int i = 0; i < 300 && port_ == 0 && proc_->running(); ++i) {
    std::ifstream in(port_file);
    std::stringstream text;
    text << in.rdbuf();
    auto j = nlohmann::json::parse(text.str(), nullptr, false);
    if (j.is_object() && j.contains("port")) {
      port_ = j["port"].get<int>();
      control_port_ = j["control_port"].get<int>();
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  if (port_ == 0 || !wait_for_port(port_, std::chrono::seconds(10))) {
    std::ifstream log(dir_.file("proxy.log"));
    std::stringstream text;
    text << log.rdbuf();
    throw std::runtime_error("fault_proxy.py did not start: " + text.str());
  }
}

nlohmann::json FaultProxy::control(const std::string& method, const std::string& path,
                                   const std::string& body) const {
  httplib::Client c("127.0.0.1", control_port_);
  c.set_connection_timeout(5);
  c.set_read_timeout(30);
  auto r = method == "GET" ? c.Get(path) : c.Post(path, body, "application/json");
  if (!r) throw std::runtime_error("fault_proxy.py control " + path + ": no answer");
  if (r->status != 200) throw std::runtime_error("fault_proxy.py control " + path + ": " + r->body);
  return nlohmann::json::parse(r->body);
}

void FaultProxy::set_schedule(const nlohmann::json& schedule) const {
  control("POST", "/schedule", schedule.dump());
}

void FaultProxy::reset() const { control("POST", "/reset"); }

nlohmann::json FaultProxy::stats() const { return control("GET", "/stats"); }

int FaultProxy::kind(const std::string& kind) const { return stats()["kinds"].value(kind, 0); }

int FaultProxy::applied(const std::string& name) const {
  auto s = stats();
  if (!s["rules"].contains(name)) return 0;
  return s["rules"][name].value("applied", 0);
}

nlohmann::json FaultProxy::log(bool all) const {
  return control("GET", all ? "/log?all=1" : "/log");
}

}  // namespace ecrhelm::test
