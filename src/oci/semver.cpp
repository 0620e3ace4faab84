// Masterminds semver v3.4.0 parsing, precedence and constraint checks, without regexes:
// each scanner below accepts exactly the language of the Go regex it is named after.
#include "oci/semver.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <system_error>
#include <utility>

#include "util/error.h"

namespace ecrhelm::oci {
namespace {

constexpr std::size_t kMaxShownInput = 200;
constexpr std::string_view kConstraintExpectation =
    "expected comparisons such as \">=1.2.3 <2.0.0\", \"^1.2\", \"~1.2.x\", \"1.2 - 1.4.5\" "
    "or \"*\", joined by spaces or commas (AND) and \"||\" (OR)";

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
// [0-9A-Za-z-]: a prerelease or metadata identifier character.
bool is_ident(char c) { return is_digit(c) || is_alpha(c) || c == '-'; }
// [0-9|x|X|\*]: a version part character in a constraint (the '|' is Masterminds').
bool is_range_part(char c) { return is_digit(c) || c == '|' || c == 'x' || c == 'X' || c == '*'; }
// Go RE2's \s.
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'; }
bool is_x(std::string_view s) { return s == "x" || s == "X" || s == "*"; }

bool all_of(std::string_view s, bool (*pred)(char)) {
  for (char c : s) {
    if (!pred(c)) return false;
  }
  return true;
}

std::size_t skip(std::string_view s, std::size_t i, bool (*pred)(char)) {
  while (i < s.size() && pred(s[i])) ++i;
  return i;
}

// strconv.ParseUint(s, 10, 64).
std::optional<uint64_t> parse_uint(std::string_view s) {
  if (s.empty() || !all_of(s, is_digit)) return std::nullopt;
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return value;
}

// strings.Split(s, "."): always at least one element.
std::vector<std::string_view> split_dots(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t dot = s.find('.', start);
    if (dot == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, dot - start));
    start = dot + 1;
  }
}

// validatePrerelease: non-empty identifiers; numeric ones without a leading zero.
bool valid_prerelease(std::string_view pre) {
  for (std::string_view part : split_dots(pre)) {
    if (part.empty()) return false;
    if (all_of(part, is_digit)) {
      if (part.size() > 1 && part[0] == '0') return false;
    } else if (!all_of(part, is_ident)) {
      return false;
    }
  }
  return true;
}

// validateMetadata: non-empty identifiers.
bool valid_metadata(std::string_view meta) {
  for (std::string_view part : split_dots(meta)) {
    if (part.empty() || !all_of(part, is_ident)) return false;
  }
  return true;
}

// Scans `[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*` at i; returns its end, or i if absent.
std::size_t scan_identifiers(std::string_view s, std::size_t i) {
  std::size_t end = skip(s, i, is_ident);
  if (end == i) return i;
  while (end + 1 < s.size() && s[end] == '.' && is_ident(s[end + 1])) {
    end = skip(s, end + 1, is_ident);
  }
  return end;
}

// comparePrePart: numbers compare numerically and sort before strings.
int compare_prerelease_part(std::string_view s, std::string_view o) {
  if (s == o) return 0;
  if (s.empty()) return -1;
  if (o.empty()) return 1;
  std::optional<uint64_t> oi = parse_uint(o);
  std::optional<uint64_t> si = parse_uint(s);
  if (!oi && !si) return s > o ? 1 : -1;
  if (!oi) return -1;  // o is a string, s a number
  if (!si) return 1;   // s is a string, o a number
  return *si > *oi ? 1 : -1;
}

// comparePrerelease: identifier by identifier; a missing identifier sorts first.
int compare_prerelease(std::string_view a, std::string_view b) {
  std::vector<std::string_view> ap = split_dots(a);
  std::vector<std::string_view> bp = split_dots(b);
  std::size_t n = std::max(ap.size(), bp.size());
  for (std::size_t i = 0; i < n; ++i) {
    int d = compare_prerelease_part(i < ap.size() ? ap[i] : std::string_view(),
                                    i < bp.size() ? bp[i] : std::string_view());
    if (d != 0) return d;
  }
  return 0;
}

int compare_number(uint64_t a, uint64_t b) { return a < b ? -1 : (a > b ? 1 : 0); }

// The input as it may appear in an error message: bounded, control bytes escaped.
std::string shown(std::string_view s) {
  std::string out;
  std::string_view head = s.substr(0, kMaxShownInput);
  for (char c : head) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f || c == '"' || c == '\\') {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
  }
  if (s.size() > head.size()) out += fmt::format("... ({} bytes)", s.size());
  return out;
}

// One match of Masterminds' cvRegex:
// v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-(PRE))?(\+(META))?
// scanned greedily, as Go's leftmost-first matcher does when nothing follows it.
struct RangeVersion {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::string_view major, minor, patch, prerelease;  // minor/patch without their '.'
  bool has_minor = false, has_patch = false, has_prerelease = false;
};

std::optional<RangeVersion> scan_range_version(std::string_view s, std::size_t i) {
  RangeVersion rv;
  rv.begin = i;
  if (i < s.size() && s[i] == 'v') ++i;
  std::size_t end = skip(s, i, is_range_part);
  if (end == i) return std::nullopt;
  rv.major = s.substr(i, end - i);
  i = end;
  for (int part = 0; part < 2; ++part) {
    if (i + 1 < s.size() && s[i] == '.' && is_range_part(s[i + 1])) {
      end = skip(s, i + 1, is_range_part);
      (part == 0 ? rv.minor : rv.patch) = s.substr(i + 1, end - i - 1);
      (part == 0 ? rv.has_minor : rv.has_patch) = true;
      i = end;
    }
  }
  if (i < s.size() && s[i] == '-') {
    end = scan_identifiers(s, i + 1);
    if (end > i + 1) {
      rv.prerelease = s.substr(i + 1, end - i - 1);
      rv.has_prerelease = true;
      i = end;
    }
  }
  if (i < s.size() && s[i] == '+') {
    end = scan_identifiers(s, i + 1);
    if (end > i + 1) i = end;
  }
  rv.end = i;
  return rv;
}

// The operator alternatives `=||!=|>|<|>=|=>|<=|=<|~|~>|\^` as Go picks among them when a
// version must follow (a version never starts with '=', '<' or '>'). Returns its length
// (0 for the empty operator), or nullopt for a lone '!'.
std::optional<std::size_t> scan_operator(std::string_view s, std::size_t i) {
  if (i >= s.size()) return 0;
  char next = i + 1 < s.size() ? s[i + 1] : '\0';
  switch (s[i]) {
    case '=':
      return (next == '>' || next == '<') ? 2 : 1;
    case '!':
      if (next == '=') return 2;
      return std::nullopt;
    case '>':
    case '<':
      return next == '=' ? 2 : 1;
    case '~':
      return next == '>' ? 2 : 1;
    case '^':
      return 1;
    default:
      return 0;
  }
}

Constraint::Op op_for(std::string_view text) {
  using Op = Constraint::Op;
  if (text.empty() || text == "=") return Op::kTildeOrEqual;
  if (text == "!=") return Op::kNotEqual;
  if (text == ">") return Op::kGreater;
  if (text == "<") return Op::kLess;
  if (text == ">=" || text == "=>") return Op::kGreaterEqual;
  if (text == "<=" || text == "=<") return Op::kLessEqual;
  if (text == "~" || text == "~>") return Op::kTilde;
  return Op::kCaret;
}

// parseConstraint for one operator and version.
Constraint::Term make_term(std::string_view whole, std::string_view op_text, const RangeVersion& rv,
                           std::string_view input) {
  Constraint::Term term;
  term.op = op_for(op_text);
  term.op_text = std::string(op_text);
  term.version_text = std::string(whole.substr(rv.begin, rv.end - rv.begin));

  std::string pre;  // appended: `"-" + std::string(...)` trips GCC 12's false -Wrestrict
  if (rv.has_prerelease) pre.append(1, '-').append(rv.prerelease);
  std::string text;
  if (is_x(rv.major)) {
    text = "0.0.0" + pre;
    term.dirty = true;
  } else if (!rv.has_minor || is_x(rv.minor)) {
    text = std::string(rv.major) + ".0.0" + pre;
    term.dirty = term.minor_dirty = true;
  } else if (!rv.has_patch || is_x(rv.patch)) {
    text = std::string(rv.major) + "." + std::string(rv.minor) + ".0" + pre;
    term.dirty = term.patch_dirty = true;
  } else {
    text = term.version_text;
  }
  std::optional<Version> v = Version::parse(text);
  if (!v) {
    fail(ErrorKind::kInvalidInput,
         "invalid version constraint \"{}\": \"{}\" is not a version (numbers must fit in 64 "
         "bits, only one of x, X or * may stand for a part, numeric prerelease identifiers "
         "have no leading zero); {}",
         shown(input), shown(term.version_text), kConstraintExpectation);
  }
  term.version = std::move(*v);
  return term;
}

// One "||" segment: validConstraintRegex, then findConstraintRegex + parseConstraint.
std::vector<Constraint::Term> parse_and_group(std::string_view seg, std::string_view input) {
  std::vector<Constraint::Term> terms;
  std::size_t i = skip(seg, 0, is_space);
  for (;;) {
    std::optional<std::size_t> op_len = scan_operator(seg, i);
    std::optional<RangeVersion> rv;
    if (op_len) rv = scan_range_version(seg, skip(seg, i + *op_len, is_space));
    if (!rv) {
      fail(ErrorKind::kInvalidInput,
           "invalid version constraint \"{}\": improper constraint \"{}\"; {}", shown(input),
           shown(seg), kConstraintExpectation);
    }
    terms.push_back(make_term(seg, seg.substr(i, *op_len), *rv, input));
    std::size_t after = rv->end;
    std::size_t next = skip(seg, after, is_space);
    if (next == seg.size()) return terms;
    if (seg[next] == ',') {
      i = skip(seg, next + 1, is_space);
    } else if (next > after) {
      i = next;
    } else {
      fail(ErrorKind::kInvalidInput,
           "invalid version constraint \"{}\": improper constraint \"{}\" (unexpected \"{}\" after "
           "\"{}\"); {}",
           shown(input), shown(seg), shown(seg.substr(next, 1)),
           shown(seg.substr(rv->begin, rv->end - rv->begin)), kConstraintExpectation);
    }
  }
}

// constraintRangeRegex `\s*(CV)\s+-\s+(CV)\s*` anchored at i.
struct RangeMatch {
  std::size_t end = 0;
  std::string_view low, high;
};

std::optional<RangeMatch> match_range_at(std::string_view s, std::size_t i) {
  std::optional<RangeVersion> low = scan_range_version(s, skip(s, i, is_space));
  if (!low) return std::nullopt;
  std::size_t j = skip(s, low->end, is_space);
  if (j == low->end || j >= s.size() || s[j] != '-') return std::nullopt;
  std::size_t k = skip(s, j + 1, is_space);
  if (k == j + 1) return std::nullopt;
  std::optional<RangeVersion> high = scan_range_version(s, k);
  if (!high) return std::nullopt;
  RangeMatch m;
  m.end = skip(s, high->end, is_space);
  m.low = s.substr(low->begin, low->end - low->begin);
  m.high = s.substr(high->begin, high->end - high->begin);
  return m;
}

// Term checks, one per Masterminds constraint function. The caller has already rejected a
// prerelease version when the group does not include prereleases.
bool check_tilde(const Constraint::Term& c, const Version& v) {
  if (v.compare(c.version) < 0) return false;
  // ~0.0.0 is >= 0.0.0.
  if (c.version.major == 0 && c.version.minor == 0 && c.version.patch == 0 && !c.minor_dirty &&
      !c.patch_dirty) {
    return true;
  }
  if (v.major != c.version.major) return false;
  if (v.minor != c.version.minor && !c.minor_dirty) return false;
  return true;
}

bool check_not_equal(const Constraint::Term& c, const Version& v) {
  if (c.dirty) {
    if (c.version.major != v.major) return true;
    if (c.version.minor != v.minor && !c.minor_dirty) {
      return true;
    } else if (c.minor_dirty) {
      return false;
    } else if (c.version.patch != v.patch && !c.patch_dirty) {
      return true;
    } else if (c.patch_dirty) {
      if (!v.prerelease.empty() || !c.version.prerelease.empty()) {
        return compare_prerelease(v.prerelease, c.version.prerelease) != 0;
      }
      return false;
    }
  }
  return v.compare(c.version) != 0;
}

bool check_greater(const Constraint::Term& c, const Version& v) {
  if (!c.dirty) return v.compare(c.version) > 0;
  if (v.major > c.version.major) return true;
  if (v.major < c.version.major) return false;
  if (c.minor_dirty) return false;                      // >11 needs 12 or higher
  if (c.patch_dirty) return v.minor > c.version.minor;  // >11.1 needs 11.2 or higher
  return v.compare(c.version) > 0;
}

bool check_less_equal(const Constraint::Term& c, const Version& v) {
  if (!c.dirty) return v.compare(c.version) <= 0;
  if (v.major > c.version.major) return false;
  if (v.major == c.version.major && v.minor > c.version.minor && !c.minor_dirty) return false;
  return true;
}

// ^1.2.3 is >=1.2.3 <2; ^0.2.3 is >=0.2.3 <0.3; ^0.0.3 is =0.0.3; ^0.0 is <0.1; ^0 is <1.
bool check_caret(const Constraint::Term& c, const Version& v) {
  if (v.compare(c.version) < 0) return false;
  if (c.version.major > 0 || c.minor_dirty) return v.major == c.version.major;
  if (v.major > 0) return false;
  if (c.version.minor > 0 || c.patch_dirty) return v.minor == c.version.minor;
  if (v.minor > 0) return false;
  return v.patch == c.version.patch;
}

bool check_term(const Constraint::Term& c, const Version& v, bool include_prerelease) {
  using Op = Constraint::Op;
  if (!v.prerelease.empty() && !include_prerelease) return false;
  switch (c.op) {
    case Op::kTildeOrEqual:
      return c.dirty ? check_tilde(c, v) : v.compare(c.version) == 0;
    case Op::kNotEqual:
      return check_not_equal(c, v);
    case Op::kGreater:
      return check_greater(c, v);
    case Op::kLess:
      return v.compare(c.version) < 0;
    case Op::kGreaterEqual:
      return v.compare(c.version) >= 0;
    case Op::kLessEqual:
      return check_less_equal(c, v);
    case Op::kTilde:
      return check_tilde(c, v);
    case Op::kCaret:
      return check_caret(c, v);
  }
  return false;
}

// The loose version grammar (looseSemVerRegex) with its parts; numbers not yet converted.
struct LooseParts {
  std::string_view major, minor, patch, prerelease, metadata;
  bool has_minor = false, has_patch = false;
};

std::optional<LooseParts> scan_loose(std::string_view s) {
  LooseParts p;
  std::size_t i = 0;
  if (i < s.size() && s[i] == 'v') ++i;
  std::size_t end = skip(s, i, is_digit);
  if (end == i) return std::nullopt;
  p.major = s.substr(i, end - i);
  i = end;
  for (int part = 0; part < 2 && i < s.size() && s[i] == '.'; ++part) {
    end = skip(s, i + 1, is_digit);
    if (end == i + 1) return std::nullopt;
    (part == 0 ? p.minor : p.patch) = s.substr(i + 1, end - i - 1);
    (part == 0 ? p.has_minor : p.has_patch) = true;
    i = end;
  }
  if (i < s.size() && s[i] == '-') {
    end = scan_identifiers(s, i + 1);
    if (end == i + 1) return std::nullopt;
    p.prerelease = s.substr(i + 1, end - i - 1);
    i = end;
  }
  if (i < s.size() && s[i] == '+') {
    end = scan_identifiers(s, i + 1);
    if (end == i + 1) return std::nullopt;
    p.metadata = s.substr(i + 1, end - i - 1);
    i = end;
  }
  if (i != s.size()) return std::nullopt;
  return p;
}

}  // namespace

std::optional<Version> Version::parse(std::string_view text) {
  std::optional<LooseParts> p = scan_loose(text);
  if (!p) return std::nullopt;
  Version v;
  std::optional<uint64_t> major = parse_uint(p->major);
  std::optional<uint64_t> minor = p->has_minor ? parse_uint(p->minor) : uint64_t{0};
  std::optional<uint64_t> patch = p->has_patch ? parse_uint(p->patch) : uint64_t{0};
  if (!major || !minor || !patch) return std::nullopt;
  if (!p->prerelease.empty() && !valid_prerelease(p->prerelease)) return std::nullopt;
  if (!p->metadata.empty() && !valid_metadata(p->metadata)) return std::nullopt;
  v.major = *major;
  v.minor = *minor;
  v.patch = *patch;
  v.prerelease = std::string(p->prerelease);
  v.metadata = std::string(p->metadata);
  v.original = std::string(text);
  return v;
}

std::optional<Version> Version::parse_strict(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::size_t d1 = text.find('.');
  if (d1 == std::string_view::npos) return std::nullopt;
  std::size_t d2 = text.find('.', d1 + 1);
  if (d2 == std::string_view::npos) return std::nullopt;
  std::string_view parts[3] = {text.substr(0, d1), text.substr(d1 + 1, d2 - d1 - 1),
                               text.substr(d2 + 1)};
  Version v;
  if (std::size_t plus = parts[2].find('+'); plus != std::string_view::npos) {
    std::string_view meta = parts[2].substr(plus + 1);
    if (!valid_metadata(meta)) return std::nullopt;
    v.metadata = std::string(meta);
    parts[2] = parts[2].substr(0, plus);
  }
  if (std::size_t dash = parts[2].find('-'); dash != std::string_view::npos) {
    std::string_view pre = parts[2].substr(dash + 1);
    if (!valid_prerelease(pre)) return std::nullopt;
    v.prerelease = std::string(pre);
    parts[2] = parts[2].substr(0, dash);
  }
  uint64_t numbers[3] = {0, 0, 0};
  for (int k = 0; k < 3; ++k) {
    if (parts[k].size() > 1 && parts[k][0] == '0') return std::nullopt;
    std::optional<uint64_t> n = parse_uint(parts[k]);
    if (!n) return std::nullopt;
    numbers[k] = *n;
  }
  v.major = numbers[0];
  v.minor = numbers[1];
  v.patch = numbers[2];
  v.original = std::string(text);
  return v;
}

std::string Version::to_string() const {
  std::string out = fmt::format("{}.{}.{}", major, minor, patch);
  if (!prerelease.empty()) out += "-" + prerelease;
  if (!metadata.empty()) out += "+" + metadata;
  return out;
}

int Version::compare(const Version& other) const {
  if (int d = compare_number(major, other.major); d != 0) return d;
  if (int d = compare_number(minor, other.minor); d != 0) return d;
  if (int d = compare_number(patch, other.patch); d != 0) return d;
  if (prerelease.empty() && other.prerelease.empty()) return 0;
  if (prerelease.empty()) return 1;
  if (other.prerelease.empty()) return -1;
  return compare_prerelease(prerelease, other.prerelease);
}

Constraint Constraint::parse(std::string_view text) {
  if (text.size() > kMaxConstraintLength) {
    fail(ErrorKind::kInvalidInput,
         "invalid version constraint \"{}\": it is {} bytes long; expected at most {}", shown(text),
         text.size(), kMaxConstraintLength);
  }
  std::string rewritten = detail::rewrite_hyphen_ranges(text);
  std::string_view rest = rewritten;
  Constraint c;
  for (;;) {
    std::size_t bar = rest.find("||");
    std::string_view seg = rest.substr(0, bar);
    std::vector<Term> terms = parse_and_group(seg, text);
    bool has_pre = false;
    for (const Term& t : terms) has_pre = has_pre || !t.version.prerelease.empty();
    c.groups_.push_back(std::move(terms));
    c.group_has_prerelease_.push_back(has_pre);
    if (bar == std::string_view::npos) break;
    rest = rest.substr(bar + 2);
  }
  return c;
}

bool Constraint::check(const Version& version) const {
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    bool include_pre = include_prerelease_ || group_has_prerelease_[g];
    bool all = true;
    for (const Term& t : groups_[g]) {
      if (!check_term(t, version, include_pre)) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return false;
}

std::string Constraint::to_string() const {
  std::string out;
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    if (g > 0) out += " || ";
    for (std::size_t t = 0; t < groups_[g].size(); ++t) {
      if (t > 0) out += " ";
      out += groups_[g][t].to_string();
    }
  }
  return out;
}

std::optional<Version> highest_match(const Constraint& constraint,
                                     const std::vector<std::string>& tags) {
  std::optional<Version> best;
  for (const std::string& tag : tags) {
    std::string mapped = tag;
    for (char& ch : mapped) {
      if (ch == '_') ch = '+';
    }
    std::optional<Version> v = Version::parse(mapped);
    if (!v || !constraint.check(*v)) continue;
    if (!best || v->compare(*best) > 0) {
      v->original = tag;
      best = std::move(v);
    }
  }
  return best;
}

bool is_exact_version(std::string_view text) { return Version::parse(text).has_value(); }

bool is_partial_version(std::string_view text) {
  std::optional<LooseParts> p = scan_loose(text);
  return p && !p->has_patch && Version::parse(text).has_value();
}

namespace detail {

std::string rewrite_hyphen_ranges(std::string_view text) {
  // FindAllStringSubmatch: leftmost, non-overlapping matches.
  struct Found {
    std::string_view whole, low, high;
  };
  std::vector<Found> found;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::optional<RangeMatch> m;
    std::size_t start = pos;
    for (; start < text.size() && !m; ++start) m = match_range_at(text, start);
    if (!m) break;
    --start;
    found.push_back({text.substr(start, m->end - start), m->low, m->high});
    pos = m->end;
  }
  // strings.Replace(o, match, ">= low, <= high ", 1) for each match, in order.
  std::string out(text);
  for (const Found& f : found) {
    std::size_t at = out.find(f.whole);
    if (at == std::string::npos) continue;
    out.replace(at, f.whole.size(), fmt::format(">= {}, <= {} ", f.low, f.high));
  }
  return out;
}

}  // namespace detail

}  // namespace ecrhelm::oci
