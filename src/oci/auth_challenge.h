// WWW-Authenticate challenges (RFC 7235) as registries send them: ECR's Basic
// realm, Docker Hub/ghcr Bearer realm/service/scope. The registry client picks
// its auth flow from these.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ecrhelm::oci {

// Bounds on what a hostile header can make us hold.
inline constexpr size_t kMaxAuthenticateHeaderLength = 16 << 10;  // longer input is cut here
inline constexpr size_t kMaxChallenges = 16;
inline constexpr size_t kMaxChallengeParams = 32;

struct Challenge {
  std::string scheme;                         // lower-case: "basic", "bearer", ...
  std::map<std::string, std::string> params;  // keys lower-cased; values unquoted and unescaped
  std::string token68;                        // "Negotiate abc==" form; empty when params are used
};

// Every challenge in one header value, in order. Quoted strings with
// backslash escapes, commas inside quotes, several challenges separated by
// commas and sloppy spacing are all handled. Never throws: on garbage it
// returns what it could parse (a parameter repeated in one challenge keeps
// its first value).
std::vector<Challenge> parse_www_authenticate(std::string_view header);

// "repository:NAME:pull", the scope a Bearer token request asks for.
std::string scope_for_pull(const std::string& repository);

}  // namespace ecrhelm::oci
