// The AWS links: 1. the local identity (GetCallerIdentity, and whether it
// is --role-arn); 3. the role's side with the service account's token
// (AssumeRoleWithWebIdentity) and ECR GetAuthorizationToken.
#include <fmt/format.h>

#include "aws/chain.h"
#include "aws/ecr.h"
#include "aws/ecr_login.h"
#include "aws/sts.h"
#include "doctor/checks.h"

namespace ecrhelm::doctor {

using nlohmann::json;

std::string aws_fix(ErrorKind kind, const std::string& what) {
  switch (kind) {
    case ErrorKind::kUnauthorized:
      return "the credentials were rejected: renew them (new keys, `aws sso login`, a fresh "
             "session) and run `ecrhelm whoami`";
    case ErrorKind::kForbidden:
      return fmt::format(
          "the identity may not call {}: attach the policy from `ecrhelm policy "
          "read --account ACCOUNT --region REGION` to it",
          what);
    case ErrorKind::kNetwork:
    case ErrorKind::kThrottled:
      return "check the network path to AWS (proxy, VPC endpoint, AWS_ENDPOINT_URL) and retry";
    case ErrorKind::kNotFound:
      return "configure AWS credentials (environment, --profile, IRSA's AWS_ROLE_ARN + "
             "AWS_WEB_IDENTITY_TOKEN_FILE, container or instance role)";
    case ErrorKind::kInvalidInput:
    case ErrorKind::kUnsupported:
      return "fix the AWS setting the message names (environment, ~/.aws/config, --profile)";
    default:
      return "run `ecrhelm -v whoami` to see the calls and fix what the message names";
  }
}

// 1. Local AWS identity.
void Doctor::check_aws_identity() {
  const char* check = "aws.identity";
  try {
    auto chain = aws::make_default_chain(s_.providers, {s_.profile});
    auto creds = chain->load();
    if (!creds) {
      r_.skip(check,
              "no AWS credentials configured here (environment, profile, web identity, "
              "container, instance metadata)");
      r_.skip("aws.role", "no local AWS identity");
      return;
    }
    std::string region = aws::resolve_region(o_.region, *s_.service.env).value_or("");
    auto id = aws::StsClient(s_.service, region).get_caller_identity(*creds);
    std::string expiry = creds->expiration ? ", expires " + in_time(*creds->expiration, now()) : "";
    r_.ok(check, fmt::format("{} (source: {}{})", id.arn, creds->source, expiry));
    local_creds_ = std::move(creds);
    caller_arn_ = id.arn;
  } catch (const Error& e) {
    r_.fail(check, e.what(), aws_fix(e.kind(), "sts:GetCallerIdentity"));
    r_.skip("aws.role", "no local AWS identity");
    return;
  }
  if (o_.role_arn.empty()) {
    r_.skip("aws.role", "no --role-arn given");
    return;
  }
  auto role = aws::parse_role_arn(o_.role_arn);
  if (!role) {
    r_.fail("aws.role", fmt::format("--role-arn {} is not an IAM role ARN", o_.role_arn),
            "pass arn:aws:iam::ACCOUNT:role/NAME");
  } else if (aws::caller_is_role(caller_arn_, *role)) {
    r_.ok("aws.role", fmt::format("the caller is role {}", o_.role_arn));
  } else {
    r_.fail("aws.role", fmt::format("the caller is {}, not role {}", caller_arn_, o_.role_arn),
            "use credentials of that role: in the pod, IRSA's AWS_ROLE_ARN (see irsa.*); "
            "locally, a profile with role_arn (--profile)");
  }
}

// 3. AWS side: the service account's token gets credentials for the role.
void Doctor::check_web_identity() {
  const char* check = "aws.web-identity";
  if (!sa_token_) return r_.skip(check, "no service-account token (see irsa.token)");
  if (!role_arn_) return r_.skip(check, "no role annotation (see irsa.service-account)");
  std::string region = sts_region();
  try {
    aws::WebIdentityParams p;
    p.role_arn = *role_arn_;
    p.session_name = "ecrhelm-doctor";
    p.web_identity_token = *sa_token_;
    auto creds = aws::StsClient(s_.service, region).assume_role_with_web_identity(p);
    std::string expiry = creds.expiration ? ", expire " + in_time(*creds.expiration, now()) : "";
    r_.ok(check, fmt::format("AssumeRoleWithWebIdentity for {} with the token of {} gave "
                             "credentials{}",
                             *role_arn_, sa_name(), expiry));
    creds.source = fmt::format("web identity ({})", sa_name());
    web_creds_ = std::move(creds);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::kNetwork) {
      return r_.warn(check, fmt::format("STS is not reachable from here: {}", e.what()),
                     "run doctor where STS is reachable, or check from the pod with "
                     "`ecrhelm whoami`");
    }
    std::string trust = fmt::format(
        "the role's trust policy must allow this cluster's issuer and service account: "
        "ecrhelm policy trust --account {} --region REGION --issuer-url {} --namespace {} "
        "--service-account {} (and an IAM OIDC provider for the issuer)",
        role_ ? role_->account : "ACCOUNT", token_issuer_.empty() ? "ISSUER" : token_issuer_, o_.ns,
        o_.service_account);
    r_.fail(check, e.what(), trust);
  }
}

// 3. AWS side: ECR GetAuthorizationToken with the role's (else the local) credentials.
void Doctor::check_ecr_token() {
  const char* check = "aws.ecr-token";
  const aws::Credentials* creds = web_creds_     ? &*web_creds_
                                  : local_creds_ ? &*local_creds_
                                                 : nullptr;
  if (!creds) {
    return r_.skip(check, "no AWS credentials (see aws.identity and aws.web-identity)");
  }
  std::string region, registry_id;
  if (auto t = chart_ecr_target(); t && !t->is_public) {
    region = t->region;
    registry_id = t->registry_id;
  }
  if (region.empty()) region = aws::resolve_region(o_.region, *s_.service.env).value_or("");
  if (region.empty()) {
    return r_.skip(check, "no region: pass --region or an ECR --chart");
  }
  try {
    auto tok = aws::EcrClient(s_.service, region).get_authorization_token(*creds, registry_id);
    std::string msg = fmt::format("GetAuthorizationToken in {} with {} credentials: token for {}",
                                  region, creds->source, tok.proxy_endpoint);
    if (tok.expires_at <= now()) {
      return r_.warn(check,
                     msg + fmt::format(" already expired at {}", format_iso8601(tok.expires_at)),
                     "check this machine's clock (ECR tokens live 12 hours)");
    }
    r_.ok(check, msg + fmt::format(", expires {} ({})", format_iso8601(tok.expires_at),
                                   in_time(tok.expires_at, now())));
  } catch (const Error& e) {
    r_.fail(check, e.what(), aws_fix(e.kind(), "ecr:GetAuthorizationToken"));
  }
}

}  // namespace ecrhelm::doctor
