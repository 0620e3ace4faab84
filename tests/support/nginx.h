// nginx (Debian's package) as a test peer: a TLS front with a CA made at test
// time, run from its own temp folder (`nginx -p DIR -c conf -g 'daemon off;'`,
// pid, logs and temp files inside it) as a child process on a free loopback
// port, never as a system service.
#pragma once

#include <memory>
#include <string>

#include "support/testbed.h"

namespace ecrhelm::test {

// A throwaway CA and a server certificate it signed for 127.0.0.1 and
// localhost (openssl CLI). Files live in `dir`.
struct TestCa {
  std::string ca_file;    // the CA certificate (PEM): what --ca-file takes
  std::string cert_file;  // server certificate (PEM)
  std::string key_file;   // server key (PEM)
};
TestCa make_test_ca(const TempDir& dir);

class NginxServer {
 public:
  // `locations` is the body of the server{} block after listen/ssl lines
  // (e.g. "location / { proxy_pass http://127.0.0.1:5000; }"). With `tls`,
  // the server listens with ssl on its certificate.
  NginxServer(const std::string& locations, const TestCa* tls);
  ~NginxServer();
  NginxServer(const NginxServer&) = delete;
  NginxServer& operator=(const NginxServer&) = delete;

  int port() const { return port_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  // The access log so far (one line per request; no Authorization values).
  std::string access_log() const;

 private:
  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> proc_;
};

// A TLS front terminating https on a free port and proxying everything to
// the http `upstream_host` (host:port), streaming (no buffering).
std::unique_ptr<NginxServer> nginx_tls_front(const std::string& upstream_host, const TestCa& ca);

}  // namespace ecrhelm::test
