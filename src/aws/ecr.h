// Amazon ECR and ECR Public GetAuthorizationToken (AWS JSON 1.1). The token
// is base64("AWS:<password>"); the password is held as a Secret.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/credentials.h"
#include "aws/service_call.h"

namespace ecrhelm::aws {

struct AuthorizationToken {
  std::string username;  // "AWS"
  Secret password;
  std::string proxy_endpoint;  // "https://123456789012.dkr.ecr.us-west-2.amazonaws.com"
  TimePoint expires_at;
};

class EcrApi {
 public:
  virtual ~EcrApi() = default;
  // registry_id: a 12-digit account for a cross-account registry; empty = the caller's.
  virtual AuthorizationToken get_authorization_token(const Credentials& creds,
                                                     const std::string& registry_id) = 0;
};

class EcrClient final : public EcrApi {
 public:
  EcrClient(const ServiceContext& ctx, std::string region);
  AuthorizationToken get_authorization_token(const Credentials& creds,
                                             const std::string& registry_id) override;
  const std::string& endpoint() const { return endpoint_; }

 private:
  ServiceContext ctx_;
  std::string region_;
  std::string endpoint_;
};

// ECR Public: us-east-1 only, signing name ecr-public, one authorizationData object.
class EcrPublicClient final : public EcrApi {
 public:
  explicit EcrPublicClient(const ServiceContext& ctx);
  AuthorizationToken get_authorization_token(const Credentials& creds,
                                             const std::string& registry_id) override;

 private:
  ServiceContext ctx_;
  std::string endpoint_;
};

// Parsers (pure; fuzzed). Throw Error(kRemote) on a malformed answer.
AuthorizationToken parse_ecr_authorization(std::string_view json);
AuthorizationToken parse_ecr_public_authorization(std::string_view json);
// Splits base64("user:password").
void decode_authorization_token(std::string_view b64, AuthorizationToken& out);

}  // namespace ecrhelm::aws
