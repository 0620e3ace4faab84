// HttpClient: the one way ecrhelm talks HTTP. CurlHttpClient implements it on
// libcurl with connection reuse, TLS options, proxies from the environment
// (http_proxy/https_proxy/no_proxy, as curl reads them) and size limits.
// Redirects are NOT followed here: callers decide (credentials must not
// follow a redirect to another origin).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "http/message.h"
#include "util/error.h"
#include "util/secret.h"

namespace ecrhelm::http {

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Throws Error(kNetwork) on connection/TLS/timeout failures and
  // Error(kRemote) when the body exceeds the request's limit. Any HTTP status
  // is a normal Response.
  virtual Response send(const Request& req) = 0;
};

// The peer's TLS certificate could not be verified (unknown CA, wrong host
// name, expired). A kNetwork Error that also names the peer, so commands can
// say which of their flags would make it trusted.
class TlsVerifyError : public Error {
 public:
  TlsVerifyError(std::string authority, std::string message)
      : Error(ErrorKind::kNetwork, std::move(message)), authority_(std::move(authority)) {}
  const std::string& authority() const { return authority_; }  // host[:port]

 private:
  std::string authority_;
};

// The peer accepted the connection but the request did not finish within its
// timeout (a kNetwork Error); apart from a connection that never opened, so a
// caller can tell "nothing there" from "something there that did not answer".
class ReadTimeoutError : public Error {
 public:
  explicit ReadTimeoutError(std::string message) : Error(ErrorKind::kNetwork, std::move(message)) {}
};

struct TlsOptions {
  std::string ca_file;  // extra CA bundle (PEM); empty = system store
  std::string ca_pem;   // the same, in memory (kubeconfig's certificate-authority-data)
  bool insecure_skip_verify = false;
  std::string client_cert_file;
  std::string client_key_file;
  std::string client_cert_pem;  // in memory (client-certificate-data)
  Secret client_key_pem;        // in memory (client-key-data)
};

class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(TlsOptions tls = {}, std::string user_agent = default_user_agent());
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  Response send(const Request& req) override;
  static std::string default_user_agent();

 private:
  void* acquire();  // a CURL* easy handle from the pool (keeps connections)
  void release(void* h);

  TlsOptions tls_;
  std::string user_agent_;
  std::mutex mu_;
  std::vector<void*> idle_;
};

}  // namespace ecrhelm::http
