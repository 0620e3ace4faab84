// Test peers for the metadata credential providers: an IMDSv2 server and a
// container-credentials (ECS / EKS Pod Identity) server on 127.0.0.1, each on
// a free port in its own thread, scriptable into the failure modes the SDKs
// handle and recording what they were sent; plus an HttpClient that refuses
// every address but 127.0.0.1, so no test can reach 169.254.x.x.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "http/client.h"

namespace ecrhelm::test {

struct RecordedRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::optional<std::string> header(const std::string& lower_name) const;
};

// What both servers hand out (values chosen to be easy to grep for in messages).
struct FixtureCredentials {
  std::string access_key_id = "ASIAFIXTUREKEYID0001";
  std::string secret_access_key = "fixture/Secret+Access+Key0000000000000001";
  std::string session_token = "FixtureSessionTokenIQoJb3JpZ2luX2VjEXAMPLE0001";
  std::string expiration = "2026-11-28T18:00:00Z";
  std::string account_id;  // container only; empty = not sent
};

// Shared plumbing: an httplib server in a thread, request log, slow answers
// that end as soon as the server stops.
class FixtureServer {
 public:
  FixtureServer();
  virtual ~FixtureServer();
  FixtureServer(const FixtureServer&) = delete;
  FixtureServer& operator=(const FixtureServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<RecordedRequest> requests() const;
  size_t request_count() const;

 protected:
  struct Impl;
  void start();  // subclasses register routes on impl_ first
  // Stops serving and waits for handlers; subclasses call it in their
  // destructor, before the members the handlers read are gone.
  void stop();
  void record(RecordedRequest r);
  // Sleeps for d, or less when the server is stopping.
  void pause(std::chrono::milliseconds d);
  std::unique_ptr<Impl> impl_;
  mutable std::mutex mu_;

 private:
  int port_ = 0;
  std::vector<RecordedRequest> log_;
};

// IMDS: PUT /latest/api/token, GET /latest/meta-data/iam/security-credentials/[role].
class ImdsServer final : public FixtureServer {
 public:
  ImdsServer();
  ~ImdsServer() override { stop(); }
  // Script (each setter is safe while requests are served).
  void set_role(std::optional<std::string> role);  // nullopt: no role attached (404)
  void set_token_status(int status);               // 200 issues a token; 403/404/405/400/...
  void set_require_token(bool v);                  // data GETs without a valid token -> 401
  // The next `times` data GETs answer 401 and expire every token issued so
  // far (what IMDS does when a token's TTL ran out).
  void expire_tokens(int times = 1);
  void set_code(std::string code);  // "Success" by default
  void set_delay(std::chrono::milliseconds token, std::chrono::milliseconds data);
  void fail_data_gets(int times, int status = 500);  // the next `times` data GETs answer status
  void set_credentials(FixtureCredentials c);
  const FixtureCredentials& credentials() const { return creds_; }
  std::vector<std::string> issued_tokens() const;

 private:
  std::optional<std::string> role_ = "ecrhelm-node-role";
  int token_status_ = 200;
  bool require_token_ = true;
  std::string code_ = "Success";
  std::chrono::milliseconds token_delay_{0};
  std::chrono::milliseconds data_delay_{0};
  int fail_times_ = 0;
  int fail_status_ = 500;
  FixtureCredentials creds_;
  std::vector<std::string> issued_;
  size_t first_valid_ = 0;  // tokens before this index are expired
  int expire_times_ = 0;
};

// Container endpoint: any GET path answers the credentials document.
class ContainerServer final : public FixtureServer {
 public:
  ContainerServer();
  ~ContainerServer() override { stop(); }
  // When set, a different (or missing) Authorization header gets 401.
  void set_expected_authorization(std::optional<std::string> value);
  // The next `times` requests answer `status` with `body`.
  void fail_next(int times, int status, std::string body = "");
  // Every answer is 200 with this body instead of credentials.
  void set_body_override(std::optional<std::string> body);
  void set_delay(std::chrono::milliseconds d);
  void set_credentials(FixtureCredentials c);
  const FixtureCredentials& credentials() const { return creds_; }

 private:
  std::optional<std::string> expected_auth_;
  int fail_times_ = 0;
  int fail_status_ = 500;
  std::string fail_body_;
  std::optional<std::string> body_override_;
  std::chrono::milliseconds delay_{0};
  FixtureCredentials creds_;
};

// Real HTTP to 127.0.0.1 only. Every other URL is recorded and refused with
// Error(kNetwork) before any socket is opened.
class LoopbackOnlyHttp final : public http::HttpClient {
 public:
  http::Response send(const http::Request& req) override;
  std::vector<std::string> attempted_urls() const;
  std::vector<std::string> refused_urls() const;

 private:
  http::CurlHttpClient curl_;
  mutable std::mutex mu_;
  std::vector<std::string> attempted_;
  std::vector<std::string> refused_;
};

}  // namespace ecrhelm::test
