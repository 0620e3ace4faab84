// What the doctor tests share: running `ecrhelm doctor -o json` and finding
// one check's result in its answer.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <httplib.h>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/testbed.h"

namespace ecrhelm::test {

struct DoctorRun {
  RunResult raw;
  nlohmann::json results;  // the -o json array (empty when it did not parse)

  // {check, status, message, fix} of one check; a null object (and a test
  // failure) when the check is missing.
  const nlohmann::json& operator[](const std::string& check) const {
    for (const auto& r : results)
      if (r.value("check", "") == check) return r;
    static const nlohmann::json kMissing = {{"status", "missing"}, {"message", ""}, {"fix", ""}};
    ADD_FAILURE() << "no check " << check << " in " << raw.out << raw.err;
    return kMissing;
  }
  std::string status(const std::string& check) const { return (*this)[check]["status"]; }
  std::string message(const std::string& check) const { return (*this)[check]["message"]; }
  std::string fix(const std::string& check) const {
    const auto& f = (*this)[check]["fix"];
    return f.is_string() ? f.get<std::string>() : "";
  }
  // Every output, for secret searches.
  std::string all() const { return raw.out + raw.err; }
};

inline DoctorRun run_doctor(std::vector<std::string> args,
                            const std::map<std::string, std::string>& env) {
  args.insert(args.begin(), {"doctor", "-o", "json"});
  DoctorRun d;
  d.raw = run_ecrhelm(args, env);
  d.results = nlohmann::json::parse(d.raw.out, nullptr, false);
  EXPECT_TRUE(d.results.is_array()) << d.raw.out << d.raw.err;
  if (!d.results.is_array()) d.results = nlohmann::json::array();
  return d;
}

// A scriptable AWS peer on 127.0.0.1 for the answers moto does not give: ECR
// GetAuthorizationToken (X-Amz-Target) and STS (every other POST). Point
// AWS_ENDPOINT_URL_ECR / AWS_ENDPOINT_URL_STS at url().
class AwsFixture {
 public:
  AwsFixture() {
    server_.Post("/", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      if (req.get_header_value("X-Amz-Target").find("GetAuthorizationToken") != std::string::npos) {
        res.status = ecr_status_;
        res.set_content(ecr_body_, "application/x-amz-json-1.1");
      } else {
        res.status = sts_status_;
        res.set_content(sts_body_, "text/xml");
      }
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // Bound already (connections queue); wait for the loop anyway.
    for (int i = 0; i < 200 && !server_.is_running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  ~AwsFixture() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void ecr(int status, std::string body) {
    std::lock_guard lock(mu_);
    ecr_status_ = status;
    ecr_body_ = std::move(body);
  }
  void sts(int status, std::string body) {
    std::lock_guard lock(mu_);
    sts_status_ = status;
    sts_body_ = std::move(body);
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  int ecr_status_ = 500;
  std::string ecr_body_ = "{}";
  int sts_status_ = 500;
  std::string sts_body_;
};

}  // namespace ecrhelm::test
