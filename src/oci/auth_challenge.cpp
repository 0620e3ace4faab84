// A forgiving RFC 7235 challenge parser: registries and proxies in the wild
// do not all quote, space or separate their parameters the same way.
#include "oci/auth_challenge.h"

#include <cstring>
#include <optional>

#include "util/strings.h"

namespace ecrhelm::oci {
namespace {

// tchar from RFC 7230 section 3.2.6.
bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

// token68 characters (RFC 7235 section 2.1), without the trailing '='.
bool is_token68_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}
  bool done() const { return i_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[i_]; }
  size_t pos() const { return i_; }
  void seek(size_t p) { i_ = p; }
  void advance() { ++i_; }

  void skip_space() {
    while (!done() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }
  void skip_space_and_commas() {
    while (!done() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == ',')) ++i_;
  }
  std::string_view token() {
    size_t start = i_;
    while (!done() && is_tchar(s_[i_])) ++i_;
    return s_.substr(start, i_ - start);
  }
  // At an opening quote: the unescaped content, or nullopt when unterminated.
  std::optional<std::string> quoted() {
    ++i_;  // opening quote
    std::string out;
    while (!done()) {
      char c = s_[i_++];
      if (c == '"') return out;
      if (c == '\\') {
        if (done()) return std::nullopt;
        c = s_[i_++];
      }
      out.push_back(c);
    }
    return std::nullopt;
  }
  // Skips to the next comma that is not inside a quoted string (or to the end).
  void skip_element() {
    while (!done() && s_[i_] != ',') {
      if (s_[i_] == '"') {
        if (!quoted()) return;
      } else {
        ++i_;
      }
    }
  }
  // token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
  std::string_view token68() {
    size_t start = i_;
    while (!done() && is_token68_char(s_[i_])) ++i_;
    if (i_ == start) return {};
    while (!done() && s_[i_] == '=') ++i_;
    return s_.substr(start, i_ - start);
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

std::vector<Challenge> parse_www_authenticate(std::string_view header) {
  std::vector<Challenge> out;
  Scanner sc(header.substr(0, kMaxAuthenticateHeaderLength));
  bool have_current = false;  // out.back() still takes parameters
  while (true) {
    sc.skip_space_and_commas();
    if (sc.done()) break;
    size_t element_start = sc.pos();
    std::string_view name = sc.token();
    if (name.empty()) {  // not a token: skip this element
      if (sc.pos() == element_start) sc.skip_element();
      if (sc.pos() == element_start) sc.advance();
      continue;
    }
    size_t after_name = sc.pos();
    sc.skip_space();
    if (sc.peek() == '=') {
      // auth-param = token BWS "=" BWS ( token / quoted-string )
      sc.advance();
      sc.skip_space();
      std::string value;
      if (sc.peek() == '"') {
        auto q = sc.quoted();
        if (!q) break;  // unterminated quote: nothing after it can be trusted
        value = std::move(*q);
      } else {
        value = std::string(sc.token());
      }
      if (have_current && out.back().params.size() < kMaxChallengeParams) {
        out.back().params.emplace(to_lower(name), std::move(value));  // first value wins
      }
      sc.skip_space();
      if (!sc.done() && sc.peek() != ',' && !is_tchar(sc.peek())) sc.skip_element();
      continue;
    }
    // A new challenge: auth-scheme [ 1*SP ( token68 / #auth-param ) ]
    if (out.size() >= kMaxChallenges) break;
    out.push_back(Challenge{to_lower(name), {}, {}});
    have_current = true;
    sc.seek(after_name);
    if (sc.peek() != ' ' && sc.peek() != '\t') continue;
    sc.skip_space();
    size_t before = sc.pos();
    std::string_view t68 = sc.token68();
    sc.skip_space();
    if (!t68.empty() && (sc.done() || sc.peek() == ',')) {
      out.back().token68 = std::string(t68);
      have_current = false;  // a token68 challenge has no parameters
      continue;
    }
    sc.seek(before);  // not a token68: the loop reads parameters from here
  }
  return out;
}

std::string scope_for_pull(const std::string& repository) {
  return "repository:" + repository + ":pull";
}

}  // namespace ecrhelm::oci
