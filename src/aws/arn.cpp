#include "aws/arn.h"

namespace ecrhelm::aws {

std::optional<Arn> parse_arn(std::string_view arn) {
  std::string_view field[5];
  for (auto& f : field) {
    auto colon = arn.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    f = arn.substr(0, colon);
    arn.remove_prefix(colon + 1);
  }
  if (field[0] != "arn") return std::nullopt;
  return Arn{std::string(field[1]), std::string(field[2]), std::string(field[3]),
             std::string(field[4]), std::string(arn)};
}

std::string account_from_arn(std::string_view arn) {
  auto a = parse_arn(arn);
  return a ? a->account : "";
}

std::optional<RoleArn> parse_role_arn(std::string_view text) {
  auto a = parse_arn(text);
  // Role names and paths hold no ':'.
  if (!a || a->partition.empty() || a->service != "iam" || !a->region.empty() ||
      a->account.size() != 12 || a->account.find_first_not_of("0123456789") != std::string::npos ||
      !a->resource.starts_with("role/") || a->resource.find(':') != std::string::npos) {
    return std::nullopt;
  }
  std::string resource = a->resource.substr(5);
  if (resource.empty() || resource.back() == '/') return std::nullopt;
  auto slash = resource.rfind('/');
  return RoleArn{a->partition, a->account,
                 slash == std::string::npos ? resource : resource.substr(slash + 1)};
}

bool caller_is_role(std::string_view caller_arn, const RoleArn& role) {
  auto a = parse_arn(caller_arn);
  if (!a || a->resource.find(':') != std::string::npos || a->account != role.account) return false;
  if (a->resource.starts_with("assumed-role/")) {
    std::string_view rest = std::string_view(a->resource).substr(13);
    return rest.substr(0, rest.find('/')) == role.name;
  }
  if (a->resource.starts_with("role/")) {
    auto r = parse_role_arn(caller_arn);
    return r && r->name == role.name;
  }
  return false;
}

}  // namespace ecrhelm::aws
