// ARNs as AWS writes them (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE):
// the one parser for the account in an STS answer, IAM role ARNs (a flag, a
// service account annotation) and whether a caller is a given role.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ecrhelm::aws {

struct Arn {
  std::string partition;  // aws, aws-cn, aws-us-gov...
  std::string service;    // iam, sts, ecr...
  std::string region;     // "" for global services (IAM, STS's assumed-role ARNs)
  std::string account;
  std::string resource;  // everything after the fifth ':' ("role/path/name", "log-group:x")
};

// Six fields, the first "arn"; nothing else is checked (nullopt otherwise).
std::optional<Arn> parse_arn(std::string_view arn);

// The account id inside an ARN ("arn:aws:sts::123456789012:assumed-role/x/y"); "" if none.
std::string account_from_arn(std::string_view arn);

// "arn:PARTITION:iam::ACCOUNT:role[/PATH]/NAME" (a 12-digit account).
struct RoleArn {
  std::string partition;
  std::string account;
  std::string name;  // the last path segment
};
std::optional<RoleArn> parse_role_arn(std::string_view arn);

// Whether GetCallerIdentity's ARN is `role`: one of its sessions
// ("arn:P:sts::ACCOUNT:assumed-role/NAME/SESSION") or the role ARN itself.
bool caller_is_role(std::string_view caller_arn, const RoleArn& role);

}  // namespace ecrhelm::aws
