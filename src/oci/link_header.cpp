// A small RFC 8288 Link parser: only what paging needs (targets and rel).
#include "oci/link_header.h"

#include <cstring>

#include "util/strings.h"

namespace ecrhelm::oci {
namespace {

bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}
bool is_space(char c) { return c == ' ' || c == '\t'; }

struct Scanner {
  std::string_view s;
  size_t i = 0;
  bool done() const { return i >= s.size(); }
  char peek() const { return done() ? '\0' : s[i]; }
  void skip_space() {
    while (!done() && is_space(s[i])) ++i;
  }
  std::string_view token() {
    size_t start = i;
    while (!done() && is_tchar(s[i])) ++i;
    return s.substr(start, i - start);
  }
  // At an opening quote: the unescaped content; to the end when unterminated.
  std::string quoted() {
    ++i;
    std::string out;
    while (!done()) {
      char c = s[i++];
      if (c == '"') break;
      if (c == '\\' && !done()) c = s[i++];
      out.push_back(c);
    }
    return out;
  }
  // Skips to the comma that ends this link-value (not inside quotes or <>).
  void skip_to_comma() {
    while (!done() && s[i] != ',') {
      if (s[i] == '"') {
        quoted();
      } else if (s[i] == '<') {
        size_t close = s.find('>', i);
        i = close == std::string_view::npos ? s.size() : close + 1;
      } else {
        ++i;
      }
    }
  }
};

bool rel_has_next(std::string_view rel) {
  size_t i = 0;
  while (i < rel.size()) {
    while (i < rel.size() && (is_space(rel[i]) || rel[i] == '\n' || rel[i] == '\r')) ++i;
    size_t start = i;
    while (i < rel.size() && !is_space(rel[i]) && rel[i] != '\n' && rel[i] != '\r') ++i;
    if (i > start && iequals(rel.substr(start, i - start), "next")) return true;
  }
  return false;
}

}  // namespace

std::optional<std::string> next_link(std::string_view header) {
  Scanner sc{header.substr(0, kMaxLinkHeaderLength)};
  while (true) {
    while (!sc.done() && (is_space(sc.peek()) || sc.peek() == ',')) ++sc.i;
    if (sc.done()) return std::nullopt;
    if (sc.peek() != '<') {  // not a link-value: skip it
      sc.skip_to_comma();
      continue;
    }
    size_t close = sc.s.find('>', sc.i + 1);
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view target = trim(sc.s.substr(sc.i + 1, close - sc.i - 1));
    sc.i = close + 1;

    // *( OWS ";" OWS link-param ), link-param = token BWS [ "=" BWS ( token / quoted-string ) ]
    bool rel_seen = false;
    bool is_next = false;
    while (true) {
      sc.skip_space();
      if (sc.done() || sc.peek() == ',') break;
      if (sc.peek() != ';') {
        sc.skip_to_comma();
        break;
      }
      ++sc.i;
      sc.skip_space();
      std::string_view name = sc.token();
      sc.skip_space();
      std::string value;
      if (sc.peek() == '=') {
        ++sc.i;
        sc.skip_space();
        value = sc.peek() == '"' ? sc.quoted() : std::string(sc.token());
      }
      if (name.empty()) {
        sc.skip_to_comma();
        break;
      }
      if (!rel_seen && iequals(name, "rel")) {  // RFC 8288: only the first rel counts
        rel_seen = true;
        is_next = rel_has_next(value);
      }
    }
    if (is_next && !target.empty()) return std::string(target);
  }
}

}  // namespace ecrhelm::oci
