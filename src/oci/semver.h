// Masterminds semver v3 (v3.4.0) versions and constraints, so that a chart version or
// range picks the same registry tag as Helm 3 and Argo CD would.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ecrhelm::oci {

// A semantic version as Masterminds' Version holds it.
struct Version {
  uint64_t major = 0;
  uint64_t minor = 0;
  uint64_t patch = 0;
  std::string prerelease;  // without the leading '-'
  std::string metadata;    // build metadata, without the leading '+'
  std::string original;    // the text it was parsed from

  // NewVersion with CoerceNewVersion = true (the v3.4.0 default): an optional leading "v",
  // minor and patch may be missing ("1.2" is 1.2.0), numbers may have leading zeros,
  // prerelease identifiers are [0-9A-Za-z-] with no leading zero in numeric ones, metadata
  // identifiers are [0-9A-Za-z-]. Numbers must fit in 64 bits. nullopt if not a version.
  static std::optional<Version> parse(std::string_view text);
  // StrictNewVersion: exactly MAJOR.MINOR.PATCH[-PRE][+META], no "v", no leading zeros.
  static std::optional<Version> parse_strict(std::string_view text);

  // Canonical "MAJOR.MINOR.PATCH[-PRE][+META]", without any "v".
  std::string to_string() const;
  // -1, 0 or 1 by SemVer 2 precedence (Masterminds' Compare): metadata is ignored, a
  // prerelease sorts before its release, identifiers compare numerically or by ASCII.
  int compare(const Version& other) const;

  friend bool operator==(const Version& a, const Version& b) { return a.compare(b) == 0; }
  friend std::weak_ordering operator<=>(const Version& a, const Version& b) {
    return a.compare(b) <=> 0;
  }
};

// Longest constraint text accepted (Masterminds has no limit; Helm versions are short).
inline constexpr std::size_t kMaxConstraintLength = 4096;

// A version range such as ">=1.2.3 <2", "^1.2 || ~2.0.x" or "1.2 - 1.4.5", with Masterminds'
// Constraints semantics (AND by space or comma, OR by "||").
class Constraint {
 public:
  enum class Op {
    kTildeOrEqual,  // "" or "=": equality, or "~" when a part is x or missing
    kNotEqual,      // "!="
    kGreater,       // ">"
    kLess,          // "<"
    kGreaterEqual,  // ">=" or "=>"
    kLessEqual,     // "<=" or "=<"
    kTilde,         // "~" or "~>"
    kCaret,         // "^"
  };

  // One comparison such as ">=1.2" or "~1.x".
  struct Term {
    Op op = Op::kTildeOrEqual;
    std::string op_text;       // as written: "", "=", "=>", "~>", ...
    std::string version_text;  // as written: "1.x", "v1.2.3"
    Version version;           // x and missing parts read as 0 ("1.x" is 1.0.0)
    bool dirty = false;        // some part is x or missing
    bool minor_dirty = false;  // the minor (so also the patch) is x or missing
    bool patch_dirty = false;  // the major and minor are given, the patch is x or missing

    std::string to_string() const { return op_text + version_text; }
  };

  // NewConstraint. Throws Error(kInvalidInput) naming the text and the bad part.
  static Constraint parse(std::string_view text);

  // Check: true if every term of some OR group accepts the version. A prerelease version
  // is accepted only by a group that has a term with a prerelease (any term, any
  // major.minor.patch), or when include_prerelease is set.
  bool check(const Version& version) const;

  // Masterminds' Constraints.IncludePrerelease (false by default, and in Helm and Argo CD).
  void set_include_prerelease(bool include) { include_prerelease_ = include; }
  bool include_prerelease() const { return include_prerelease_; }

  // Masterminds' String(): terms as written, AND groups joined by " ", ORs by " || ".
  std::string to_string() const;

  // The OR groups, each a list of terms that must all hold.
  const std::vector<std::vector<Term>>& groups() const { return groups_; }

 private:
  Constraint() = default;

  std::vector<std::vector<Term>> groups_;
  std::vector<bool> group_has_prerelease_;
  bool include_prerelease_ = false;
};

// The highest version among registry tags that the constraint accepts, as Argo CD resolves
// an OCI chart revision: each tag has '_' mapped back to '+' (Helm stores "+" as "_" in
// tags) and is parsed loosely (so "v1.2.3" counts); tags that are not versions are skipped.
// Among equal versions the first tag listed wins. The result's `original` is the tag as
// listed (with '_'), ready to be fetched.
std::optional<Version> highest_match(const Constraint& constraint,
                                     const std::vector<std::string>& tags);

// True if the text is a version as the loose parse reads it ("1.2.3", "v1.2.3",
// "1.2.3-rc.1+b", and also "1.2" and "1"): Helm (getOciURI) and Argo CD (IsVersion)
// both take such a --version / targetRevision as an exact tag, without listing tags.
// Ranges ("1.2.x", "^1.2", ">=1") are not.
bool is_exact_version(std::string_view text);

// True for an exact version without its patch number ("1", "1.2", "v1.2-rc.1"): a pin
// to the tag of that very name, which users often mean as a range (hint: ~1.2).
bool is_partial_version(std::string_view text);

namespace detail {
// Masterminds' rewriteRange: each "A - B" becomes ">= A, <= B ". Exposed for tests.
std::string rewrite_hyphen_ranges(std::string_view text);
}  // namespace detail

}  // namespace ecrhelm::oci
