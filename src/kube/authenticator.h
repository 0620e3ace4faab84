// Authenticator: the credential a request to the API server carries, from
// whichever source the RestConfig names: a static bearer token, a token file
// (re-read when it changes: projected service-account tokens rotate), an
// exec plugin (run again when its expirationTimestamp passes or the server
// answers 401), or basic auth. Client certificates are TLS, not this.
#pragma once

#include <ctime>
#include <mutex>
#include <optional>
#include <string>

#include "kube/rest_config.h"
#include "util/time.h"

namespace ecrhelm::kube {

// The parsed output of an exec plugin (an ExecCredential's status).
struct ExecCredential {
  Secret token;
  std::optional<TimePoint> expires;
  bool has_client_certificate = false;
};
// Throws Error(kInvalidInput) naming the plugin; never quotes the output.
ExecCredential parse_exec_credential(std::string_view json, const std::string& expected_api_version,
                                     const std::string& command);

class Authenticator {
 public:
  explicit Authenticator(const RestConfig& config, const Clock& clock = SystemClock::instance());
  // The Authorization header value ("Bearer ..." / "Basic ..."), or empty.
  Secret authorization();
  // After a 401: forget cached exec/file credentials. True when a retry may
  // see a different credential.
  bool invalidate();

 private:
  Secret run_exec();

  RestConfig config_;
  const Clock& clock_;
  std::mutex mu_;
  Secret file_token_;
  struct timespec file_mtime_ {};
  off_t file_size_ = -1;
  std::optional<ExecCredential> exec_cached_;
};

}  // namespace ecrhelm::kube
