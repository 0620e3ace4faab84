// The IMDSv2 and container-credentials test peers (see metadata_fixtures.h).
#include "support/metadata_fixtures.h"

#include <httplib.h>

#include <condition_variable>
#include <stdexcept>
#include <thread>

#include "http/url.h"
#include "util/error.h"
#include "util/strings.h"

namespace ecrhelm::test {

std::optional<std::string> RecordedRequest::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

struct FixtureServer::Impl {
  httplib::Server server;
  std::thread thread;
  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stopping = false;
};

FixtureServer::FixtureServer() : impl_(std::make_unique<Impl>()) {
  impl_->server.set_keep_alive_timeout(1);
}

FixtureServer::~FixtureServer() { stop(); }

void FixtureServer::stop() {
  {
    std::lock_guard lock(impl_->stop_mu);
    impl_->stopping = true;
  }
  impl_->stop_cv.notify_all();
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void FixtureServer::start() {
  port_ = impl_->server.bind_to_any_port("127.0.0.1");
  if (port_ <= 0) throw std::runtime_error("fixture server: bind to 127.0.0.1 failed");
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!impl_->server.is_running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

void FixtureServer::record(RecordedRequest r) {
  std::lock_guard lock(mu_);
  log_.push_back(std::move(r));
}

std::vector<RecordedRequest> FixtureServer::requests() const {
  std::lock_guard lock(mu_);
  return log_;
}

size_t FixtureServer::request_count() const {
  std::lock_guard lock(mu_);
  return log_.size();
}

void FixtureServer::pause(std::chrono::milliseconds d) {
  if (d.count() <= 0) return;
  std::unique_lock lock(impl_->stop_mu);
  impl_->stop_cv.wait_for(lock, d, [this] { return impl_->stopping; });
}

namespace {

RecordedRequest recorded(const httplib::Request& req) {
  RecordedRequest r;
  r.method = req.method;
  r.path = req.path;
  for (const auto& [name, value] : req.headers) r.headers[to_lower(name)] = value;
  return r;
}

std::string credentials_json(const FixtureCredentials& c, const std::string* code) {
  std::string body = "{";
  if (code) body += "\"Code\":\"" + *code + "\",\"LastUpdated\":\"2026-11-28T12:00:00Z\",";
  body += "\"Type\":\"AWS-HMAC\",\"AccessKeyId\":\"" + c.access_key_id + "\",";
  body += "\"SecretAccessKey\":\"" + c.secret_access_key + "\",";
  body += "\"Token\":\"" + c.session_token + "\",";
  if (!c.account_id.empty()) body += "\"AccountId\":\"" + c.account_id + "\",";
  body += "\"Expiration\":\"" + c.expiration + "\"}";
  return body;
}

}  // namespace

// ---------------------------------------------------------------- IMDS

ImdsServer::ImdsServer() {
  impl_->server.Put(
      "/latest/api/token", [this](const httplib::Request& req, httplib::Response& res) {
        record(recorded(req));
        std::chrono::milliseconds delay;
        {
          std::lock_guard lock(mu_);
          delay = token_delay_;
        }
        pause(delay);
        std::lock_guard lock(mu_);
        if (token_status_ != 200) {
          res.status = token_status_;
          return;
        }
        if (!req.has_header("X-aws-ec2-metadata-token-ttl-seconds")) {
          res.status = 400;  // what IMDS does without the TTL header
          return;
        }
        std::string token = "imds-fixture-token-" + std::to_string(issued_.size() + 1);
        issued_.push_back(token);
        res.set_content(token, "text/plain");
      });

  impl_->server.Get(R"(/latest/meta-data/iam/security-credentials/(.*))",
                    [this](const httplib::Request& req, httplib::Response& res) {
                      record(recorded(req));
                      std::chrono::milliseconds delay;
                      {
                        std::lock_guard lock(mu_);
                        delay = data_delay_;
                      }
                      pause(delay);
                      std::lock_guard lock(mu_);
                      if (expire_times_ > 0) {
                        --expire_times_;
                        first_valid_ = issued_.size();
                        res.status = 401;
                        return;
                      }
                      std::string token = req.get_header_value("X-aws-ec2-metadata-token");
                      bool valid = false;
                      for (size_t i = first_valid_; i < issued_.size(); ++i) {
                        valid = valid || issued_[i] == token;
                      }
                      if ((require_token_ || !token.empty()) && !valid) {
                        res.status = 401;
                        return;
                      }
                      if (fail_times_ > 0) {
                        --fail_times_;
                        res.status = fail_status_;
                        return;
                      }
                      std::string role = req.matches[1];
                      if (!role_) {
                        res.status = 404;
                        return;
                      }
                      if (role.empty()) {
                        res.set_content(*role_ + "\n", "text/plain");
                      } else if (role == *role_) {
                        res.set_content(credentials_json(creds_, &code_), "text/plain");
                      } else {
                        res.status = 404;
                      }
                    });
  start();
}

void ImdsServer::set_role(std::optional<std::string> role) {
  std::lock_guard lock(mu_);
  role_ = std::move(role);
}
void ImdsServer::set_token_status(int status) {
  std::lock_guard lock(mu_);
  token_status_ = status;
}
void ImdsServer::set_require_token(bool v) {
  std::lock_guard lock(mu_);
  require_token_ = v;
}
void ImdsServer::expire_tokens(int times) {
  std::lock_guard lock(mu_);
  expire_times_ = times;
}
void ImdsServer::set_code(std::string code) {
  std::lock_guard lock(mu_);
  code_ = std::move(code);
}
void ImdsServer::set_delay(std::chrono::milliseconds token, std::chrono::milliseconds data) {
  std::lock_guard lock(mu_);
  token_delay_ = token;
  data_delay_ = data;
}
void ImdsServer::fail_data_gets(int times, int status) {
  std::lock_guard lock(mu_);
  fail_times_ = times;
  fail_status_ = status;
}
void ImdsServer::set_credentials(FixtureCredentials c) {
  std::lock_guard lock(mu_);
  creds_ = std::move(c);
}
std::vector<std::string> ImdsServer::issued_tokens() const {
  std::lock_guard lock(mu_);
  return issued_;
}

// ---------------------------------------------------------------- container

ContainerServer::ContainerServer() {
  impl_->server.Get(".*", [this](const httplib::Request& req, httplib::Response& res) {
    record(recorded(req));
    std::chrono::milliseconds delay;
    {
      std::lock_guard lock(mu_);
      delay = delay_;
    }
    pause(delay);
    std::lock_guard lock(mu_);
    if (expected_auth_ && (!req.has_header("Authorization") ||
                           req.get_header_value("Authorization") != *expected_auth_)) {
      res.status = 401;
      res.set_content(R"({"Code":"InvalidToken","Message":"Authorization header does not match"})",
                      "application/json");
      return;
    }
    if (fail_times_ > 0) {
      --fail_times_;
      res.status = fail_status_;
      res.set_content(fail_body_, "application/json");
      return;
    }
    if (body_override_) {
      res.set_content(*body_override_, "application/json");
      return;
    }
    res.set_content(credentials_json(creds_, nullptr), "application/json");
  });
  start();
}

void ContainerServer::set_expected_authorization(std::optional<std::string> value) {
  std::lock_guard lock(mu_);
  expected_auth_ = std::move(value);
}
void ContainerServer::fail_next(int times, int status, std::string body) {
  std::lock_guard lock(mu_);
  fail_times_ = times;
  fail_status_ = status;
  fail_body_ = std::move(body);
}
void ContainerServer::set_body_override(std::optional<std::string> body) {
  std::lock_guard lock(mu_);
  body_override_ = std::move(body);
}
void ContainerServer::set_delay(std::chrono::milliseconds d) {
  std::lock_guard lock(mu_);
  delay_ = d;
}
void ContainerServer::set_credentials(FixtureCredentials c) {
  std::lock_guard lock(mu_);
  creds_ = std::move(c);
}

// ---------------------------------------------------------------- guard

http::Response LoopbackOnlyHttp::send(const http::Request& req) {
  auto url = http::parse_url(req.url);
  {
    std::lock_guard lock(mu_);
    attempted_.push_back(req.url);
    if (!url || url->host != "127.0.0.1") {
      refused_.push_back(req.url);
      throw Error(ErrorKind::kNetwork,
                  req.method + " " + http::redact_url(req.url) +
                      ": refused by the test guard (tests only talk to 127.0.0.1)");
    }
  }
  return curl_.send(req);
}

std::vector<std::string> LoopbackOnlyHttp::attempted_urls() const {
  std::lock_guard lock(mu_);
  return attempted_;
}

std::vector<std::string> LoopbackOnlyHttp::refused_urls() const {
  std::lock_guard lock(mu_);
  return refused_;
}

}  // namespace ecrhelm::test
