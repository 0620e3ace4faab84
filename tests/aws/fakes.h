// Test doubles for the AWS layer: a scripted HttpClient and a recording StsApi.
#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "aws/sts.h"
#include "http/client.h"
#include "util/error.h"

namespace ecrhelm::test {

// Answers requests from a script; records what was sent.
class ScriptedHttp final : public http::HttpClient {
 public:
  using Step = std::function<http::Response(const http::Request&)>;
  void push(Step s) { steps_.push_back(std::move(s)); }
  void push(long status, std::string body, http::Headers headers = {}) {
    push([=](const http::Request&) {
      http::Response r;
      r.status = status;
      r.body = body;
      r.headers = headers;
      return r;
    });
  }
  void push_network_error() {
    push([](const http::Request& req) -> http::Response {
      throw Error(ErrorKind::kNetwork, "POST " + req.url + ": Connection refused");
    });
  }
  http::Response send(const http::Request& req) override {
    sent.push_back(req);
    if (steps_.empty()) throw Error(ErrorKind::kInternal, "ScriptedHttp: no more steps");
    auto s = std::move(steps_.front());
    steps_.pop_front();
    return s(req);
  }
  std::vector<http::Request> sent;

 private:
  std::deque<Step> steps_;
};

class RecordingSts final : public aws::StsApi {
 public:
  aws::CallerIdentity get_caller_identity(const aws::Credentials&) override {
    return {"123456789012", "arn:aws:iam::123456789012:user/test", "AIDATEST"};
  }
  aws::Credentials assume_role(const aws::Credentials& source,
                               const aws::AssumeRoleParams& p) override {
    assume_calls.push_back({source.access_key_id, p});
    return issued("ASIAROLE" + std::to_string(assume_calls.size()));
  }
  aws::Credentials assume_role_with_web_identity(const aws::WebIdentityParams& p) override {
    web_tokens.push_back(p.web_identity_token.reveal());
    web_params.push_back(p);
    return issued("ASIAWEB" + std::to_string(web_tokens.size()));
  }
  aws::Credentials issued(std::string id) {
    aws::Credentials c;
    c.access_key_id = std::move(id);
    c.secret_access_key = Secret("issued-secret");
    c.session_token = Secret("issued-token");
    c.expiration = expiration;
    return c;
  }
  struct AssumeCall {
    std::string source_key_id;
    aws::AssumeRoleParams params;
  };
  std::vector<AssumeCall> assume_calls;
  std::vector<std::string> web_tokens;
  std::vector<aws::WebIdentityParams> web_params;
  std::optional<TimePoint> expiration;
};

}  // namespace ecrhelm::test
