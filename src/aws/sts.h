// AWS STS: GetCallerIdentity, AssumeRole, AssumeRoleWithWebIdentity (Query
// protocol, XML answers). StsApi is the seam providers depend on; StsClient
// is the real one over HttpClient.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "aws/credentials.h"
#include "aws/service_call.h"

namespace ecrhelm::aws {

struct CallerIdentity {
  std::string account;
  std::string arn;
  std::string user_id;
};

struct AssumeRoleParams {
  std::string role_arn;
  std::string session_name;
  std::string external_id;              // optional
  std::optional<int> duration_seconds;  // optional
};

struct WebIdentityParams {
  std::string role_arn;
  std::string session_name;
  Secret web_identity_token;
  std::optional<int> duration_seconds;
};

class StsApi {
 public:
  virtual ~StsApi() = default;
  virtual CallerIdentity get_caller_identity(const Credentials& creds) = 0;
  virtual Credentials assume_role(const Credentials& source, const AssumeRoleParams& p) = 0;
  // Unsigned call: the web identity token is the proof.
  virtual Credentials assume_role_with_web_identity(const WebIdentityParams& p) = 0;
};

class StsClient final : public StsApi {
 public:
  // region empty = the global endpoint (signed for us-east-1).
  StsClient(const ServiceContext& ctx, std::string region);
  CallerIdentity get_caller_identity(const Credentials& creds) override;
  Credentials assume_role(const Credentials& source, const AssumeRoleParams& p) override;
  Credentials assume_role_with_web_identity(const WebIdentityParams& p) override;

 private:
  std::string call(const Credentials* creds, std::string_view action, std::string body);
  ServiceContext ctx_;
  std::string region_;
  std::string endpoint_;
};

// Parsers of STS answers (pure; fuzzed). Throw Error(kRemote) on bad XML.
CallerIdentity parse_caller_identity(std::string_view xml);
// `result_element` is "AssumeRoleResult" or "AssumeRoleWithWebIdentityResult".
Credentials parse_assumed_credentials(std::string_view xml, std::string_view result_element);

}  // namespace ecrhelm::aws
