#include "aws/env_provider.h"

#include "util/error.h"

namespace ecrhelm::aws {

std::optional<Credentials> EnvProvider::load() {
  auto id = env_.get_nonempty("AWS_ACCESS_KEY_ID");
  auto secret = env_.get_nonempty("AWS_SECRET_ACCESS_KEY");
  if (!id && !secret) return std::nullopt;
  if (!id || !secret) {
    fail(ErrorKind::kInvalidInput, "{} is set but {} is not; set both or neither",
         id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
         id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
  }
  Credentials c;
  c.access_key_id = *id;
  c.secret_access_key = Secret(*secret);
  if (auto tok = env_.get_nonempty("AWS_SESSION_TOKEN")) c.session_token = Secret(*tok);
  if (auto exp = env_.get_nonempty("AWS_CREDENTIAL_EXPIRATION")) {
    auto t = parse_iso8601(*exp);
    if (!t) {
      fail(ErrorKind::kInvalidInput,
           "AWS_CREDENTIAL_EXPIRATION is not an ISO 8601 time ({}); use e.g. 2026-01-01T00:00:00Z",
           *exp);
    }
    c.expiration = t;
  }
  c.source = "environment";
  return c;
}

}  // namespace ecrhelm::aws
