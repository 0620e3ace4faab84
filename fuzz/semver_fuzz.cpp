// Fuzzes Masterminds-semver parsing and constraint checks: no input may crash them, and
// whatever parses must print back to text that parses to an equal value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/semver.h"
#include "util/error.h"

namespace {

using ecrhelm::oci::Constraint;
using ecrhelm::oci::Version;

void check_round_trip(const Version& v) {
  std::string text = v.to_string();
  std::optional<Version> loose = Version::parse(text);
  std::optional<Version> strict = Version::parse_strict(text);
  if (!loose || !strict || loose->compare(v) != 0 || strict->compare(v) != 0 ||
      loose->to_string() != text || strict->to_string() != text) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);

  std::optional<Version> loose = Version::parse(in);
  if (loose) check_round_trip(*loose);
  std::optional<Version> strict = Version::parse_strict(in);
  if (strict) {
    check_round_trip(*strict);
    if (!loose || loose->compare(*strict) != 0) std::abort();  // strict implies loose
  }
  (void)ecrhelm::oci::is_exact_version(in);

  static const std::vector<std::string> kTags = {"0.0.0",  "0.1.0",         "1.2.3",  "1.2.4-rc.1",
                                                 "v1.3.0", "2.0.0_build.1", "latest", "10.0.0-0"};
  try {
    Constraint c = Constraint::parse(in);
    Constraint again = Constraint::parse(c.to_string());
    for (const std::string& tag : kTags) {
      std::optional<Version> v = Version::parse(tag);
      if (v && c.check(*v) != again.check(*v)) std::abort();
    }
    (void)ecrhelm::oci::highest_match(c, kTags);
    if (loose) (void)c.check(*loose);
  } catch (const ecrhelm::Error&) {
  }
  return 0;
}
