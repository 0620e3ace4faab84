// Secret: a credential value (key, session token, password, JWT) that never
// prints itself. Logging, errors, status and metrics can only see "<redacted>";
// the single way to the bytes is an explicit reveal().
#pragma once

#include <fmt/format.h>

#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace ecrhelm {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  Secret(const Secret&) = default;
  Secret(Secret&&) noexcept = default;
  Secret& operator=(const Secret&) = default;
  Secret& operator=(Secret&&) noexcept = default;
  ~Secret();

  const std::string& reveal() const { return value_; }
  bool empty() const { return value_.empty(); }
  bool operator==(const Secret& other) const;

 private:
  std::string value_;
};

inline std::ostream& operator<<(std::ostream& os, const Secret&) { return os << "<redacted>"; }

// Values shorter than this are not searched for (they would blank out
// ordinary words such as a username "AWS").
inline constexpr std::size_t kMinRedactedLength = 8;
// `text` with every occurrence of each secret's value replaced by
// "<redacted>": the last guard for messages built from peers' text (an API
// server that quotes an invalid value, a helper's stderr).
std::string redact(std::string text, const std::vector<const Secret*>& secrets);

// Words this long or longer, of letters, digits and + / = _ - only, with at
// least one letter and one digit, look like keys and tokens (an access key
// id is 20, a secret key 40, a session token hundreds).
inline constexpr std::size_t kMinTokenLikeLength = 16;
// `text` with every token-like word replaced by "<redacted>": for quoting
// output we hold no secret values for (a failing credential_process or
// credential helper may print the credentials it was about to return).
std::string redact_token_like(std::string_view text);

}  // namespace ecrhelm

template <>
struct fmt::formatter<ecrhelm::Secret> : fmt::formatter<std::string_view> {
  template <typename Ctx>
  auto format(const ecrhelm::Secret&, Ctx& ctx) const {
    return fmt::formatter<std::string_view>::format("<redacted>", ctx);
  }
};
