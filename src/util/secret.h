// Secret: a credential value (key, session token, password, JWT) that never
// prints itself. Logging, errors, status and metrics can only see "<redacted>";
// the single way to the bytes is an explicit reveal().
#pragma once

#include <fmt/format.h>

#include <ostream>
#include <string>
#include <utility>

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

}  // namespace ecrhelm

template <>
struct fmt::formatter<ecrhelm::Secret> : fmt::formatter<std::string_view> {
  template <typename Ctx>
  auto format(const ecrhelm::Secret&, Ctx& ctx) const {
    return fmt::formatter<std::string_view>::format("<redacted>", ctx);
  }
};
