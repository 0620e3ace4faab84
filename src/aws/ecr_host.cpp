// Parsing and building ECR registry host names, without regex or I/O, so that
// arbitrary user input (and the fuzzer) can go through it safely.
#include "aws/ecr_host.h"

#include <fmt/format.h>

#include <array>

#include "aws/endpoints.h"
#include "util/strings.h"

namespace ecrhelm::aws {
namespace {

constexpr std::string_view kPublicHost = "public.ecr.aws";
constexpr std::string_view kPublicRegion = "us-east-1";
constexpr size_t kAccountIdLength = 12;
constexpr size_t kMaxHostLength = 253;  // DNS limit

constexpr std::array<std::string_view, 9> kRegistrySuffixes = {"amazonaws.com",
                                                               "amazonaws.com.cn",
                                                               "amazonaws.eu",
                                                               "on.aws",
                                                               "on.amazonwebservices.com.cn",
                                                               "sc2s.sgov.gov",
                                                               "c2s.ic.gov",
                                                               "cloud.adc-e.uk",
                                                               "csp.hci.ic.gov"};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z'); }

// Drops "https://", "http://" or "oci://" (any case) and everything from the
// first '/', '?' or '#'. nullopt for other schemes.
std::optional<std::string_view> authority_of(std::string_view text) {
  if (auto sep = text.find("://"); sep != std::string_view::npos) {
    std::string_view scheme = text.substr(0, sep);
    if (!iequals(scheme, "https") && !iequals(scheme, "http") && !iequals(scheme, "oci")) {
      return std::nullopt;
    }
    text.remove_prefix(sep + 3);
  }
  return text.substr(0, text.find_first_of("/?#"));
}

// Removes a ":port" suffix (1-5 digits); nullopt when what follows ':' is not one.
std::optional<std::string_view> without_port(std::string_view authority) {
  auto colon = authority.find(':');
  if (colon == std::string_view::npos) return authority;
  std::string_view port = authority.substr(colon + 1);
  if (port.empty() || port.size() > 5) return std::nullopt;
  for (char c : port)
    if (!is_digit(c)) return std::nullopt;
  return authority.substr(0, colon);
}

bool consume(std::string_view& s, std::string_view prefix) {
  if (!s.starts_with(prefix)) return false;
  s.remove_prefix(prefix.size());
  return true;
}

std::optional<EcrHost> parse_private_host(std::string_view host) {
  EcrHost out;
  std::string_view rest = host;
  if (rest.size() <= kAccountIdLength) return std::nullopt;
  for (size_t i = 0; i < kAccountIdLength; ++i)
    if (!is_digit(rest[i])) return std::nullopt;
  out.account_id = std::string(rest.substr(0, kAccountIdLength));
  rest.remove_prefix(kAccountIdLength);
  if (!consume(rest, ".dkr.ecr") && !consume(rest, ".dkr-ecr")) return std::nullopt;
  out.fips = consume(rest, "-fips");
  if (!consume(rest, ".")) return std::nullopt;
  auto dot = rest.find('.');
  if (dot == std::string_view::npos || dot == 0) return std::nullopt;
  std::string_view region = rest.substr(0, dot);
  if (!is_alnum(region.front())) return std::nullopt;
  for (char c : region)
    if (!is_alnum(c) && c != '-' && c != '_') return std::nullopt;
  std::string_view suffix = rest.substr(dot + 1);
  bool known_suffix = false;
  for (std::string_view s : kRegistrySuffixes) known_suffix = known_suffix || suffix == s;
  if (!known_suffix) return std::nullopt;
  out.region = std::string(region);
  out.host = std::string(host);
  return out;
}

}  // namespace

std::optional<EcrHost> parse_ecr_host(std::string_view host_or_url) {
  auto authority = authority_of(trim(host_or_url));
  if (!authority || authority->find('@') != std::string_view::npos) return std::nullopt;
  auto bare = without_port(*authority);
  if (!bare || bare->empty() || bare->size() > kMaxHostLength) return std::nullopt;
  std::string host = to_lower(*bare);
  if (host == kPublicHost) {
    EcrHost out;
    out.region = std::string(kPublicRegion);
    out.is_public = true;
    out.host = host;
    return out;
  }
  return parse_private_host(host);
}

std::string ecr_registry_host(std::string_view account_id, std::string_view region, bool fips) {
  return fmt::format("{}.dkr.ecr{}.{}.{}", account_id, fips ? "-fips" : "", region,
                     partition_for_region(region).dns_suffix);
}

}  // namespace ecrhelm::aws
