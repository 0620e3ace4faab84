// URL parsing for what we need to decide: origins (redirects, bearer realms),
// SigV4's host and canonical URI, and host allow-lists.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ecrhelm::http {

struct Url {
  std::string scheme;  // lower case
  std::string host;    // lower case, IPv6 without brackets
  int port = 0;        // explicit or the scheme's default
  bool explicit_port = false;
  std::string path;   // raw, "/" when empty
  std::string query;  // raw, without '?'

  // "host" or "host:port" as sent in the Host header (IPv6 bracketed).
  std::string authority() const;
  std::string origin() const;  // scheme://authority
  bool same_origin(const Url& other) const;
};

// nullopt for anything that is not an absolute http(s) URL.
std::optional<Url> parse_url(std::string_view text);
// Resolves a Location / Link target against a base URL.
std::optional<std::string> resolve_reference(const Url& base, std::string_view ref);
// True for 127.0.0.0/8, ::1 and "localhost".
bool is_loopback_host(std::string_view host);

}  // namespace ecrhelm::http
