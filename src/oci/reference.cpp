// Parsing and validation of OCI references (distribution/reference grammar,
// Helm's tag mapping, Argo CD's repoURL + chart form).
#include "oci/reference.h"

#include <algorithm>

#include "util/error.h"
#include "util/strings.h"

namespace ecrhelm::oci {
namespace {

constexpr std::string_view kExpectedForm = "oci://HOST[:PORT]/REPOSITORY[:TAG][@sha256:HEX]";
constexpr size_t kSha256HexLength = 64;
constexpr size_t kSha512HexLength = 128;
constexpr size_t kMaxPort = 65535;
constexpr size_t kMaxPortDigits = 5;
constexpr size_t kMaxShownChars = 80;  // how much of a bad part an error message quotes

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }
bool is_word(char c) { return is_alnum(c) || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex_lower(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }

std::string shown(std::string_view s) {
  if (s.size() <= kMaxShownChars) return std::string(s);
  return std::string(s.substr(0, kMaxShownChars)) + "...";
}

// path-component := [a-z0-9]+ ( ( [._] | "__" | "-"+ ) [a-z0-9]+ )*
bool is_path_component(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (true) {
    size_t start = i;
    while (i < n && is_lower_alnum(s[i])) ++i;
    if (i == start) return false;  // every run of separators is followed by alnum
    if (i == n) return true;
    if (s[i] == '.') {
      ++i;
    } else if (s[i] == '_') {
      ++i;
      if (i < n && s[i] == '_') ++i;
    } else if (s[i] == '-') {
      while (i < n && s[i] == '-') ++i;
    } else {
      return false;
    }
  }
}

// domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool is_domain_component(std::string_view s) {
  if (s.empty() || !is_alnum(s.front()) || !is_alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return is_alnum(c) || c == '-'; });
}

bool is_port(std::string_view s) {
  if (s.empty() || s.size() > kMaxPortDigits) return false;
  if (!std::all_of(s.begin(), s.end(), is_digit)) return false;
  size_t v = 0;
  for (char c : s) v = v * 10 + size_t(c - '0');
  return v >= 1 && v <= kMaxPort;
}

bool is_ipv6_literal(std::string_view s) {
  if (s.empty() || s.find(':') == std::string_view::npos) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
  });
}

// Why a registry host[:port] is not acceptable, or nullopt.
std::optional<std::string> domain_problem(std::string_view d) {
  if (d.empty()) return "the registry host is empty";
  std::string_view host = d;
  std::string_view port;
  bool has_port = false;
  if (d.front() == '[') {
    size_t close = d.find(']');
    if (close == std::string_view::npos) return "an IPv6 registry address lacks its closing ']'";
    if (!is_ipv6_literal(d.substr(1, close - 1))) {
      return fmt::format("\"{}\" is not an IPv6 address", shown(d.substr(1, close - 1)));
    }
    std::string_view after = d.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return fmt::format("unexpected \"{}\" after the IPv6 address", shown(after));
      has_port = true;
      port = after.substr(1);
    }
  } else {
    size_t colon = d.find(':');
    if (colon != std::string_view::npos) {
      host = d.substr(0, colon);
      port = d.substr(colon + 1);
      has_port = true;
    }
    for (std::string_view comp : split(host, '.')) {
      if (!is_domain_component(comp)) {
        return fmt::format(
            "registry host \"{}\" is not a host name (letters, digits and inner '-' between dots)",
            shown(host));
      }
    }
  }
  if (has_port && !is_port(port)) {
    return fmt::format("registry port \"{}\" is not a number from 1 to {}", shown(port), kMaxPort);
  }
  return std::nullopt;
}

std::optional<std::string> tag_problem(std::string_view tag) {
  if (tag.empty()) return "the tag after ':' is empty";
  if (tag.size() > kMaxTagLength) {
    return fmt::format("the tag is {} characters long; at most {} are allowed", tag.size(),
                       kMaxTagLength);
  }
  bool ok = is_word(tag.front()) && std::all_of(tag.begin(), tag.end(), [](char c) {
              return is_word(c) || c == '.' || c == '-';
            });
  if (!ok) {
    return fmt::format(
        "tag \"{}\" must start with a letter, digit or '_' and contain only letters, digits, '_', "
        "'.' and '-'",
        shown(tag));
  }
  return std::nullopt;
}

std::optional<std::string> repository_problem(std::string_view repo) {
  if (repo.empty()) return "the repository path is empty";
  for (std::string_view comp : split(repo, '/')) {
    if (comp.empty())
      return fmt::format("repository \"{}\" has an empty path component", shown(repo));
    if (!is_path_component(comp)) {
      bool upper =
          std::any_of(comp.begin(), comp.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
      return fmt::format(
          "repository component \"{}\" is not valid{}: use lower-case letters and digits, "
          "separated "
          "by '.', '_', '__' or dashes, and never at the start or end",
          shown(comp), upper ? " (repository names must be lower-case)" : "");
    }
  }
  return std::nullopt;
}

[[noreturn]] void reject(std::string_view text, const std::string& why) {
  fail(ErrorKind::kInvalidInput, "invalid OCI reference \"{}\": {}; expected {}", shown(text), why,
       kExpectedForm);
}

}  // namespace

std::optional<std::string> digest_problem(std::string_view digest) {
  size_t colon = digest.find(':');
  if (colon == std::string_view::npos) {
    return fmt::format("digest \"{}\" lacks the ':' between algorithm and hex value",
                       shown(digest));
  }
  std::string_view alg = digest.substr(0, colon);
  std::string_view hex = digest.substr(colon + 1);
  // algorithm := [a-z0-9]+ ( [+._-] [a-z0-9]+ )*
  bool alg_ok = !alg.empty();
  for (size_t i = 0; alg_ok && i < alg.size(); ++i) {
    char c = alg[i];
    if (is_lower_alnum(c)) continue;
    bool sep = c == '+' || c == '.' || c == '_' || c == '-';
    alg_ok = sep && i > 0 && i + 1 < alg.size() && is_lower_alnum(alg[i - 1]) &&
             is_lower_alnum(alg[i + 1]);
  }
  if (!alg_ok) return fmt::format("digest algorithm \"{}\" is not well-formed", shown(alg));
  size_t want = 0;
  if (alg == "sha256") {
    want = kSha256HexLength;
  } else if (alg == "sha512") {
    want = kSha512HexLength;
  } else {
    return fmt::format("digest algorithm \"{}\" is not supported (only sha256 and sha512 are)",
                       shown(alg));
  }
  if (hex.size() != want || !std::all_of(hex.begin(), hex.end(), is_hex_lower)) {
    return fmt::format("a {} digest needs exactly {} lower-case hex digits, got \"{}\"", alg, want,
                       shown(hex));
  }
  return std::nullopt;
}

std::string to_tag(std::string_view version) {
  std::string out(version);
  std::replace(out.begin(), out.end(), '+', '_');
  return out;
}

std::string from_tag(std::string_view tag) {
  std::string out(tag);
  std::replace(out.begin(), out.end(), '_', '+');
  return out;
}

std::string Reference::to_string() const {
  std::string out = registry + "/" + repository;
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

Reference parse_reference(std::string_view text) {
  if (text.size() > kMaxReferenceLength) {
    fail(ErrorKind::kInvalidInput, "OCI reference is {} characters long; at most {} are allowed",
         text.size(), kMaxReferenceLength);
  }
  std::string_view rest = text;
  if (rest.substr(0, kOciScheme.size()) == kOciScheme) {
    rest.remove_prefix(kOciScheme.size());
  } else if (size_t scheme = rest.find("://"); scheme != std::string_view::npos) {
    reject(text,
           fmt::format("scheme \"{}\" is not supported (Helm charts in registries use oci://)",
                       shown(rest.substr(0, scheme))));
  }
  if (rest.empty()) reject(text, "it is empty");

  Reference ref;
  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    // "user:pass@host/..." would put a password in this message: never echo it.
    if (rest.substr(0, at).find('/') == std::string_view::npos &&
        rest.substr(at + 1).find('/') != std::string_view::npos) {
      fail(ErrorKind::kInvalidInput,
           "invalid OCI reference: credentials in the reference (user[:password]@host) are not "
           "supported; remove them and log in with `ecrhelm login`; expected {}",
           kExpectedForm);
    }
    std::string_view digest = rest.substr(at + 1);
    if (auto why = digest_problem(digest)) reject(text, *why);
    ref.digest = std::string(digest);
    rest = rest.substr(0, at);
  }

  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) {
    reject(text, "it names no repository below the registry host");
  }
  std::string_view domain = rest.substr(0, slash);
  if (auto why = domain_problem(domain)) reject(text, *why);
  ref.registry = to_lower(domain);

  std::string_view path = rest.substr(slash + 1);
  if (size_t colon = path.find(':'); colon != std::string_view::npos) {
    ref.tag = to_tag(path.substr(colon + 1));
    if (auto why = tag_problem(ref.tag)) reject(text, *why);
    path = path.substr(0, colon);
  }
  if (auto why = repository_problem(path)) reject(text, *why);
  ref.repository = std::string(path);
  if (ref.registry.size() + 1 + ref.repository.size() > kMaxNameLength) {
    reject(text, fmt::format("registry and repository together are {} characters; at most {} are "
                             "allowed",
                             ref.registry.size() + 1 + ref.repository.size(), kMaxNameLength));
  }
  return ref;
}

Reference from_argocd(std::string_view repo_url, std::string_view chart) {
  constexpr std::string_view kHttps = "https://";
  std::string_view repo = repo_url;
  if (repo.substr(0, kOciScheme.size()) == kOciScheme) {
    repo.remove_prefix(kOciScheme.size());
  } else if (repo.substr(0, kHttps.size()) == kHttps) {
    repo.remove_prefix(kHttps.size());
  }
  while (!repo.empty() && repo.back() == '/') repo.remove_suffix(1);
  while (!chart.empty() && chart.front() == '/') chart.remove_prefix(1);
  while (!chart.empty() && chart.back() == '/') chart.remove_suffix(1);
  if (repo.empty()) {
    fail(ErrorKind::kInvalidInput,
         "Argo CD repository URL \"{}\" names no registry; expected HOST[:PORT][/PATH], e.g. "
         "123456789012.dkr.ecr.us-east-1.amazonaws.com/charts",
         shown(repo_url));
  }
  if (chart.empty()) {
    fail(ErrorKind::kInvalidInput,
         "Argo CD chart name is empty for repository \"{}\"; set spec.source.chart",
         shown(repo_url));
  }
  if (chart.find_first_of(":@") != std::string_view::npos) {
    fail(ErrorKind::kInvalidInput,
         "Argo CD chart name \"{}\" must not carry a tag or digest; put the version in "
         "targetRevision",
         shown(chart));
  }
  std::string joined = std::string(repo) + "/" + std::string(chart);
  Reference ref = parse_reference(joined);
  if (!ref.tag.empty() || !ref.digest.empty()) {
    fail(
        ErrorKind::kInvalidInput,
        "Argo CD repository URL \"{}\" must not carry a tag or digest; expected HOST[:PORT][/PATH]",
        shown(repo_url));
  }
  return ref;
}

}  // namespace ecrhelm::oci
