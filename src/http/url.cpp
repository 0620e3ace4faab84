#include "http/url.h"

#include <arpa/inet.h>

#include <charconv>

#include "util/strings.h"

namespace ecrhelm::http {

std::string Url::authority() const {
  // Appended piecewise: GCC 12 at -O3 gives false -Wrestrict errors on "[" + host + "]".
  std::string h;
  if (host.find(':') != std::string::npos) {
    h.reserve(host.size() + 2);
    h.append(1, '[').append(host).append(1, ']');
  } else {
    h = host;
  }
  if (explicit_port) h.append(1, ':').append(std::to_string(port));
  return h;
}

std::string Url::origin() const { return scheme + "://" + authority(); }

bool Url::same_origin(const Url& o) const {
  return scheme == o.scheme && host == o.host && port == o.port;
}

std::optional<Url> parse_url(std::string_view text) {
  Url u;
  auto se = text.find("://");
  if (se == std::string_view::npos) return std::nullopt;
  u.scheme = to_lower(text.substr(0, se));
  if (u.scheme != "http" && u.scheme != "https") return std::nullopt;
  std::string_view rest = text.substr(se + 3);
  auto end = rest.find_first_of("/?#");
  std::string_view auth = rest.substr(0, end);
  std::string_view tail = end == std::string_view::npos ? "" : rest.substr(end);
  if (auto at = auth.rfind('@'); at != std::string_view::npos) auth = auth.substr(at + 1);
  if (auth.empty()) return std::nullopt;
  std::string_view host, port;
  if (auth.front() == '[') {
    auto rb = auth.find(']');
    if (rb == std::string_view::npos) return std::nullopt;
    host = auth.substr(1, rb - 1);
    std::string_view after = auth.substr(rb + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port = after.substr(1);
    }
  } else {
    auto colon = auth.rfind(':');
    if (colon != std::string_view::npos) {
      host = auth.substr(0, colon);
      port = auth.substr(colon + 1);
    } else {
      host = auth;
    }
  }
  if (host.empty()) return std::nullopt;
  // A ':' in a host is only valid inside brackets (IPv6): "http://::1/" is not a URL.
  if (auth.front() != '[' && host.find(':') != std::string_view::npos) return std::nullopt;
  for (char c : host)
    if (c == ' ' || c == '/' || c == '\\' || c == '@') return std::nullopt;
  u.host = to_lower(host);
  u.port = u.scheme == "https" ? 443 : 80;
  if (!port.empty()) {
    int p = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || ptr != port.data() + port.size() || p <= 0 || p > 65535)
      return std::nullopt;
    u.port = p;
    u.explicit_port = true;
  }
  if (auto hash = tail.find('#'); hash != std::string_view::npos) tail = tail.substr(0, hash);
  auto q = tail.find('?');
  u.path = std::string(tail.substr(0, q));
  if (u.path.empty()) u.path.push_back('/');  // not = "/": GCC 12 -O3 false -Wrestrict
  if (q != std::string_view::npos) u.query = std::string(tail.substr(q + 1));
  return u;
}

namespace {

// True when ref starts with a scheme (RFC 3986 3.1: ALPHA *( ALPHA / DIGIT /
// "+" / "-" / "." ) ":"). "/a?next=http://x" is a path, not an absolute URL.
bool has_scheme(std::string_view ref) {
  auto is_alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  auto colon = ref.find(':');
  if (colon == std::string_view::npos || colon == 0 || !is_alpha(ref[0])) return false;
  for (char c : ref.substr(1, colon - 1)) {
    if (!is_alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> resolve_reference(const Url& base, std::string_view ref) {
  if (has_scheme(ref)) {
    if (!parse_url(ref)) return std::nullopt;
    return std::string(ref);
  }
  if (ref.starts_with("//")) {
    std::string absolute = base.scheme + ":" + std::string(ref);
    if (!parse_url(absolute)) return std::nullopt;
    return absolute;
  }
  // Empty or fragment-only: the base document itself.
  if (ref.empty() || ref.front() == '#')
    return base.origin() + base.path + (base.query.empty() ? "" : "?" + base.query);
  if (ref.starts_with("/")) return base.origin() + std::string(ref);
  if (ref.starts_with("?")) return base.origin() + base.path + std::string(ref);
  std::string dir = base.path.substr(0, base.path.rfind('/') + 1);
  return base.origin() + dir + std::string(ref);
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost") return true;
  std::string h(host);
  in_addr a4{};
  if (inet_pton(AF_INET, h.c_str(), &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
  in6_addr a6{};
  if (inet_pton(AF_INET6, h.c_str(), &a6) == 1) return IN6_IS_ADDR_LOOPBACK(&a6);
  return false;
}

}  // namespace ecrhelm::http
