// Masterminds semver v3.4.0's own test tables (version_test.go, constraints_test.go), run
// against our port, plus the tag resolution Helm and Argo CD do on top of it.
#include "oci/semver.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "util/error.h"

namespace ecrhelm::oci {
namespace {

using Op = Constraint::Op;

Version must_parse(const char* text) {
  std::optional<Version> v = Version::parse(text);
  if (!v) throw std::runtime_error(std::string("test version does not parse: ") + text);
  return *v;
}

// ---------------------------------------------------------------------------------------
// version_test.go

struct ParseRow {
  const char* version;
  bool err;
};

// TestStrictNewVersion.
const ParseRow kStrictNewVersion[] = {
    {"1.2.3", false},
    {"1.2.3-alpha.01", true},
    {"1.2.3+test.01", false},
    {"1.2.3-alpha.-1", false},
    {"v1.2.3", true},
    {"1.0", true},
    {"v1.0", true},
    {"1", true},
    {"v1", true},
    {"1.2", true},
    {"1.2.beta", true},
    {"v1.2.beta", true},
    {"foo", true},
    {"1.2-5", true},
    {"v1.2-5", true},
    {"1.2-beta.5", true},
    {"v1.2-beta.5", true},
    {"\n1.2", true},
    {"\nv1.2", true},
    {"1.2.0-x.Y.0+metadata", false},
    {"v1.2.0-x.Y.0+metadata", true},
    {"1.2.0-x.Y.0+metadata-width-hypen", false},
    {"v1.2.0-x.Y.0+metadata-width-hypen", true},
    {"1.2.3-rc1-with-hypen", false},
    {"v1.2.3-rc1-with-hypen", true},
    {"1.2.3.4", true},
    {"v1.2.3.4", true},
    {"1.2.2147483648", false},
    {"1.2147483648.3", false},
    {"2147483648.3.0", false},
    // The lack of all 3 parts in this version should produce an error.
    {"20221209-update-renovatejson-v4", true},
    // Various cases that are invalid semver.
    {"1.1.2+.123", true},
    {"1.0.0-alpha_beta", true},
    {"1.0.0-alpha..", true},
    {"1.0.0-alpha..1", true},
    {"01.1.1", true},
    {"1.01.1", true},
    {"1.1.01", true},
    {"9.8.7+meta+meta", true},
    {"1.2.31----RC-SNAPSHOT.12.09.1--.12+788", true},
    {"1.2.3-0123", true},
    {"1.2.3-0123.0123", true},
    {"+invalid", true},
    {"-invalid", true},
    {"-invalid.01", true},
    {"alpha+beta", true},
    {"1.2.3-alpha_beta+foo", true},
    {"1.0.0-alpha..1", true},
};

// TestNewVersion, "With loose NewVersion" (CoerceNewVersion = true, the default).
const ParseRow kNewVersion[] = {
    {"1.2.3", false},
    {"1.2.3-alpha.01", true},
    {"1.2.3+test.01", false},
    {"1.2.3-alpha.-1", false},
    {"v1.2.3", false},
    {"1.0", false},
    {"v1.0", false},
    {"1", false},
    {"v1", false},
    {"1.2.beta", true},
    {"v1.2.beta", true},
    {"foo", true},
    {"1.2-5", false},
    {"v1.2-5", false},
    {"1.2-beta.5", false},
    {"v1.2-beta.5", false},
    {"\n1.2", true},
    {"\nv1.2", true},
    {"1.2.0-x.Y.0+metadata", false},
    {"v1.2.0-x.Y.0+metadata", false},
    {"1.2.0-x.Y.0+metadata-width-hypen", false},
    {"v1.2.0-x.Y.0+metadata-width-hypen", false},
    {"1.2.3-rc1-with-hypen", false},
    {"v1.2.3-rc1-with-hypen", false},
    {"1.2.3.4", true},
    {"v1.2.3.4", true},
    {"1.2.2147483648", false},
    {"1.2147483648.3", false},
    {"2147483648.3.0", false},
    // Four parts (Masterminds issue #185).
    {"12.3.4.1234", true},
    {"12.23.4.1234", true},
    {"12.3.34.1234", true},
    // A prerelease may hold [0-9A-Za-z-].
    {"20221209-update-renovatejson-v4", false},
    // Various cases that are invalid semver.
    {"1.1.2+.123", true},
    {"1.0.0-alpha_beta", true},
    {"1.0.0-alpha..", true},
    {"1.0.0-alpha..1", true},
    {"9.8.7+meta+meta", true},
    {"1.2.31----RC-SNAPSHOT.12.09.1--.12+788", true},
    // Invalid semver that loose mode accepts (calver-ish).
    {"01.1.1", false},
    {"1.01.1", false},
    {"1.1.01", false},
};

// TestValidatePrerelease and TestValidateMetadata, through a version.
const ParseRow kPrerelease[] = {
    {"foo", false},      {"alpha.1", false},   {"alpha.01", true},
    {"foo☃︎", true}, {"alpha.0-1", false},
};
const ParseRow kMetadata[] = {
    {"foo", false},
    {"alpha.1", false},
    {"alpha.01", false},
    {"foo☃︎", true},
    {"alpha.0-1", false},
    {"al-pha.1Phe70CgWe050H9K1mJwRUqTNQXZRERwLOEg37wpXUb4JgzgaD5YkL52ABnoyiE", false},
};

TEST(VersionParse, StrictNewVersionTable) {
  for (const ParseRow& row : kStrictNewVersion) {
    EXPECT_EQ(Version::parse_strict(row.version).has_value(), !row.err) << row.version;
  }
}

TEST(VersionParse, NewVersionTable) {
  for (const ParseRow& row : kNewVersion) {
    EXPECT_EQ(Version::parse(row.version).has_value(), !row.err) << row.version;
  }
}

TEST(VersionParse, PrereleaseAndMetadataTables) {
  for (const ParseRow& row : kPrerelease) {
    std::string text = std::string("1.2.3-") + row.version;
    EXPECT_EQ(Version::parse(text).has_value(), !row.err) << text;
    EXPECT_EQ(Version::parse_strict(text).has_value(), !row.err) << text;
  }
  for (const ParseRow& row : kMetadata) {
    std::string text = std::string("1.2.3+") + row.version;
    EXPECT_EQ(Version::parse(text).has_value(), !row.err) << text;
    EXPECT_EQ(Version::parse_strict(text).has_value(), !row.err) << text;
  }
}

TEST(VersionParse, EmptyAndOverflow) {
  EXPECT_FALSE(Version::parse(""));
  EXPECT_FALSE(Version::parse_strict(""));
  EXPECT_FALSE(Version::parse("v"));
  EXPECT_TRUE(Version::parse("18446744073709551615.0.0"));
  EXPECT_FALSE(Version::parse("18446744073709551616.0.0"));
  EXPECT_FALSE(Version::parse_strict("1.18446744073709551616.0"));
  EXPECT_FALSE(Version::parse("V1.2.3"));
  EXPECT_FALSE(Version::parse("1.2.3 "));
  EXPECT_FALSE(Version::parse("1.2.3\n"));
}

// TestOriginal and TestCoerceString: original text kept, canonical form printed.
struct StringRow {
  const char* version;
  const char* expected;
};
const StringRow kCoerceString[] = {
    {"1.2.3", "1.2.3"},
    {"v1.2.3", "1.2.3"},
    {"1.0", "1.0.0"},
    {"v1.0", "1.0.0"},
    {"1", "1.0.0"},
    {"v1", "1.0.0"},
    {"1.2-5", "1.2.0-5"},
    {"v1.2-5", "1.2.0-5"},
    {"1.2-beta.5", "1.2.0-beta.5"},
    {"v1.2-beta.5", "1.2.0-beta.5"},
    {"1.2.0-x.Y.0+metadata", "1.2.0-x.Y.0+metadata"},
    {"v1.2.0-x.Y.0+metadata", "1.2.0-x.Y.0+metadata"},
    {"1.2.0-x.Y.0+metadata-width-hypen", "1.2.0-x.Y.0+metadata-width-hypen"},
    {"v1.2.0-x.Y.0+metadata-width-hypen", "1.2.0-x.Y.0+metadata-width-hypen"},
    {"1.2.3-rc1-with-hypen", "1.2.3-rc1-with-hypen"},
    {"v1.2.3-rc1-with-hypen", "1.2.3-rc1-with-hypen"},
};

TEST(VersionParse, OriginalAndCoerceStringTables) {
  for (const StringRow& row : kCoerceString) {
    Version v = must_parse(row.version);
    EXPECT_EQ(v.original, row.version);
    EXPECT_EQ(v.to_string(), row.expected) << row.version;
  }
}

TEST(VersionParse, Parts) {
  Version v = must_parse("1.2.3-beta.1+build.123");
  EXPECT_EQ(v.major, 1u);
  EXPECT_EQ(v.minor, 2u);
  EXPECT_EQ(v.patch, 3u);
  EXPECT_EQ(v.prerelease, "beta.1");
  EXPECT_EQ(v.metadata, "build.123");
  Version leading = must_parse("v01.02.03");
  EXPECT_EQ(leading.to_string(), "1.2.3");
  EXPECT_EQ(leading.original, "v01.02.03");
}

struct CompareRow {
  const char* a;
  const char* b;
  int expected;
};
// TestCompare.
const CompareRow kCompare[] = {
    {"1.2.3", "1.5.1", -1},
    {"2.2.3", "1.5.1", 1},
    {"2.2.3", "2.2.2", 1},
    {"3.2-beta", "3.2-beta", 0},
    {"1.3", "1.1.4", 1},
    {"4.2", "4.2-beta", 1},
    {"4.2-beta", "4.2", -1},
    {"4.2-alpha", "4.2-beta", -1},
    {"4.2-alpha", "4.2-alpha", 0},
    {"4.2-beta.2", "4.2-beta.1", 1},
    {"4.2-beta2", "4.2-beta1", 1},
    {"4.2-beta", "4.2-beta.2", -1},
    {"4.2-beta", "4.2-beta.foo", -1},
    {"4.2-beta.2", "4.2-beta", 1},
    {"4.2-beta.foo", "4.2-beta", 1},
    {"1.2+bar", "1.2+baz", 0},
    {"1.0.0-beta.4", "1.0.0-beta.-2", -1},
    {"1.0.0-beta.-2", "1.0.0-beta.-3", -1},
    {"1.0.0-beta.-3", "1.0.0-beta.5", 1},
};

TEST(VersionCompare, CompareTable) {
  for (const CompareRow& row : kCompare) {
    EXPECT_EQ(must_parse(row.a).compare(must_parse(row.b)), row.expected)
        << row.a << " vs " << row.b;
  }
}

struct RelationRow {
  const char* a;
  const char* b;
  bool expected;
};
const RelationRow kLessThan[] = {
    {"1.2.3", "1.5.1", true}, {"2.2.3", "1.5.1", false}, {"3.2-beta", "3.2-beta", false}};
const RelationRow kLessThanEqual[] = {
    {"1.2.3", "1.5.1", true}, {"2.2.3", "1.5.1", false}, {"1.5.1", "1.5.1", true}};
const RelationRow kGreaterThan[] = {
    {"1.2.3", "1.5.1", false},
    {"2.2.3", "1.5.1", true},
    {"3.2-beta", "3.2-beta", false},
    {"3.2.0-beta.1", "3.2.0-beta.5", false},
    {"3.2-beta.4", "3.2-beta.2", true},
    {"7.43.0-SNAPSHOT.99", "7.43.0-SNAPSHOT.103", false},
    {"7.43.0-SNAPSHOT.FOO", "7.43.0-SNAPSHOT.103", true},
    {"7.43.0-SNAPSHOT.99", "7.43.0-SNAPSHOT.BAR", false},
};
const RelationRow kGreaterThanEqual[] = {
    {"1.2.3", "1.5.1", false}, {"2.2.3", "1.5.1", true}, {"1.5.1", "1.5.1", true}};
const RelationRow kEqual[] = {
    {"1.2.3", "1.5.1", false},
    {"2.2.3", "1.5.1", false},
    {"3.2-beta", "3.2-beta", true},
    {"3.2-beta+foo", "3.2-beta+bar", true},
};

TEST(VersionCompare, RelationTables) {
  for (const RelationRow& r : kLessThan) {
    EXPECT_EQ(must_parse(r.a) < must_parse(r.b), r.expected) << r.a << " < " << r.b;
  }
  for (const RelationRow& r : kLessThanEqual) {
    EXPECT_EQ(must_parse(r.a) <= must_parse(r.b), r.expected) << r.a << " <= " << r.b;
  }
  for (const RelationRow& r : kGreaterThan) {
    EXPECT_EQ(must_parse(r.a) > must_parse(r.b), r.expected) << r.a << " > " << r.b;
  }
  for (const RelationRow& r : kGreaterThanEqual) {
    EXPECT_EQ(must_parse(r.a) >= must_parse(r.b), r.expected) << r.a << " >= " << r.b;
  }
  for (const RelationRow& r : kEqual) {
    EXPECT_EQ(must_parse(r.a) == must_parse(r.b), r.expected) << r.a << " == " << r.b;
  }
}

TEST(VersionCompare, HugeNumericPrereleaseIdentifierComparesAsText) {
  // strconv.ParseUint fails past 2^64-1, so Masterminds compares such identifiers as text.
  EXPECT_EQ(must_parse("1.0.0-99999999999999999999").compare(must_parse("1.0.0-a")), -1);
  EXPECT_EQ(must_parse("1.0.0-99999999999999999999").compare(must_parse("1.0.0-5")), 1);
}

// ---------------------------------------------------------------------------------------
// constraints_test.go

struct ParseConstraintRow {
  const char* in;
  Op op;
  const char* version;
  bool err;
};
// TestParseConstraint ("foo" has no function: any Op stands in).
const ParseConstraintRow kParseConstraint[] = {
    {">= 1.2", Op::kGreaterEqual, "1.2.0", false}, {"1.0", Op::kTildeOrEqual, "1.0.0", false},
    {"foo", Op::kTildeOrEqual, "", true},          {"<= 1.2", Op::kLessEqual, "1.2.0", false},
    {"=< 1.2", Op::kLessEqual, "1.2.0", false},    {"=> 1.2", Op::kGreaterEqual, "1.2.0", false},
    {"v1.2", Op::kTildeOrEqual, "1.2.0", false},   {"=1.5", Op::kTildeOrEqual, "1.5.0", false},
    {"> 1.3", Op::kGreater, "1.3.0", false},       {"< 1.4.1", Op::kLess, "1.4.1", false},
    {"< 40.50.10", Op::kLess, "40.50.10", false},
};

TEST(ConstraintParse, ParseConstraintTable) {
  for (const ParseConstraintRow& row : kParseConstraint) {
    if (row.err) {
      EXPECT_THROW(Constraint::parse(row.in), Error) << row.in;
      continue;
    }
    Constraint c = Constraint::parse(row.in);
    ASSERT_EQ(c.groups().size(), 1u) << row.in;
    ASSERT_EQ(c.groups()[0].size(), 1u) << row.in;
    EXPECT_EQ(c.groups()[0][0].op, row.op) << row.in;
    EXPECT_EQ(c.groups()[0][0].version.to_string(), row.version) << row.in;
  }
}

struct CheckRow {
  const char* constraint;
  const char* version;
  bool check;
};

// TestConstraintCheck: one constraint, prereleases allowed when it has one.
const CheckRow kConstraintCheck[] = {
    {"=2.0.0", "1.2.3", false},
    {"=2.0.0", "2.0.0", true},
    {"=2.0", "1.2.3", false},
    {"=2.0", "2.0.0", true},
    {"=2.0", "2.0.1", true},
    {"4.1", "4.1.0", true},
    {"!=4.1.0", "4.1.0", false},
    {"!=4.1.0", "4.1.1", true},
    {"!=4.1", "4.1.0", false},
    {"!=4.1", "4.1.1", false},
    {"!=4.1", "5.1.0-alpha.1", false},
    {"!=4.1.0", "5.1.0-alpha.1", false},
    {"!=4.1-alpha", "4.1.0", true},
    {"!=4.1", "5.1.0", true},
    {"<11", "0.1.0", true},
    {"<11", "11.1.0", false},
    {"<1.1", "0.1.0", true},
    {"<1.1", "1.1.0", false},
    {"<1.1", "1.1.1", false},
    {"<=11", "1.2.3", true},
    {"<=11", "12.2.3", false},
    {"<=11", "11.2.3", true},
    {"<=1.1", "1.2.3", false},
    {"<=1.1", "0.1.0", true},
    {"<=1.1", "1.1.0", true},
    {"<=1.1", "1.1.1", true},
    {">1.1", "4.1.0", true},
    {">1.1", "1.1.0", false},
    {">0", "0", false},
    {">0", "1", true},
    {">0", "0.0.1-alpha", false},
    {">0.0", "0.0.1-alpha", false},
    {">0-0", "0.0.1-alpha", false},
    {">0.0-0", "0.0.1-alpha", false},
    {">0", "0.0.0-alpha", false},
    {">0-0", "0.0.0-alpha", false},
    {">0.0.0-0", "0.0.0-alpha", true},
    {">1.2.3-alpha.1", "1.2.3-alpha.2", true},
    {">1.2.3-alpha.1", "1.3.3-alpha.2", true},
    {">11", "11.1.0", false},
    {">11.1", "11.1.0", false},
    {">11.1", "11.1.1", false},
    {">11.1", "11.2.1", true},
    {">=11", "11.1.2", true},
    {">=11.1", "11.1.2", true},
    {">=11.1", "11.0.2", false},
    {">=1.1", "4.1.0", true},
    {">=1.1", "1.1.0", true},
    {">=1.1", "0.0.9", false},
    {">=0", "0.0.1-alpha", false},
    {">=0.0", "0.0.1-alpha", false},
    {">=0-0", "0.0.1-alpha", true},
    {">=0.0-0", "0.0.1-alpha", true},
    {">=0", "0.0.0-alpha", false},
    {">=0-0", "0.0.0-alpha", true},
    {">=0.0.0-0", "0.0.0-alpha", true},
    {">=0.0.0-0", "1.2.3", true},
    {">=0.0.0-0", "3.4.5-beta.1", true},
    {"<0", "0.0.0-alpha", false},
    {"<0-z", "0.0.0-alpha", true},
    {">=0", "0", true},
    {"=0", "1", false},
    {"*", "1", true},
    {"*", "4.5.6", true},
    {"*", "1.2.3-alpha.1", false},
    {"*-0", "1.2.3-alpha.1", true},
    {"2.*", "1", false},
    {"2.*", "3.4.5", false},
    {"2.*", "2.1.1", true},
    {"2.1.*", "2.1.1", true},
    {"2.1.*", "2.2.1", false},
    {"", "1", true},  // An empty string is treated as * or wild card
    {"", "4.5.6", true},
    {"", "1.2.3-alpha.1", false},
    {"2", "1", false},
    {"2", "3.4.5", false},
    {"2", "2.1.1", true},
    {"2.1", "2.1.1", true},
    {"2.1", "2.2.1", false},
    {"~1.2.3", "1.2.4", true},
    {"~1.2.3", "1.3.4", false},
    {"~1.2", "1.2.4", true},
    {"~1.2", "1.3.4", false},
    {"~1", "1.2.4", true},
    {"~1", "2.3.4", false},
    {"~0.2.3", "0.2.5", true},
    {"~0.2.3", "0.3.5", false},
    {"~1.2.3-beta.2", "1.2.3-beta.4", true},
    // Unlike npm, prereleases are not scoped to the constraint's own patch release.
    {"~1.2.3-beta.2", "1.2.4-beta.2", true},
    {"~1.2.3-beta.2", "1.3.4-beta.2", false},
    {"^1.2.3", "1.8.9", true},
    {"^1.2.3", "2.8.9", false},
    {"^1.2.3", "1.2.1", false},
    {"^1.1.0", "2.1.0", false},
    {"^1.2.0", "2.2.1", false},
    {"^1.2.0", "1.2.1-alpha.1", false},
    {"^1.2.0-alpha.0", "1.2.1-alpha.1", true},
    {"^1.2.0-alpha.0", "1.2.1-alpha.0", true},
    {"^1.2.0-alpha.2", "1.2.0-alpha.1", false},
    {"^1.2", "1.8.9", true},
    {"^1.2", "2.8.9", false},
    {"^1", "1.8.9", true},
    {"^1", "2.8.9", false},
    {"^0.2.3", "0.2.5", true},
    {"^0.2.3", "0.5.6", false},
    {"^0.2", "0.2.5", true},
    {"^0.2", "0.5.6", false},
    {"^0.0.3", "0.0.3", true},
    {"^0.0.3", "0.0.4", false},
    {"^0.0", "0.0.3", true},
    {"^0.0", "0.1.4", false},
    {"^0.0", "1.0.4", false},
    {"^0", "0.2.3", true},
    {"^0", "1.1.4", false},
    {"^0.2.3-beta.2", "0.2.3-beta.4", true},
    // Unlike npm, prereleases are not scoped to the constraint's own patch release.
    {"^0.2.3-beta.2", "0.2.4-beta.2", true},
    {"^0.2.3-beta.2", "0.3.4-beta.2", false},
    {"^0.2.3-beta.2", "0.2.3-beta.2", true},
};

TEST(ConstraintCheck, ConstraintCheckTable) {
  for (const CheckRow& row : kConstraintCheck) {
    // Masterminds' internal parseConstraint reads "" as "*"; NewConstraint (our parse)
    // rejects "" (see EmptyConstraintIsRejected), and Helm maps an empty version to "*".
    std::string text = *row.constraint == '\0' ? "*" : row.constraint;
    Constraint c = Constraint::parse(text);
    EXPECT_EQ(c.check(must_parse(row.version)), row.check)
        << "\"" << row.constraint << "\" with " << row.version;
  }
}

struct NewConstraintRow {
  const char* input;
  std::size_t ors;
  std::size_t count;
  bool err;
};
// TestNewConstraint.
const NewConstraintRow kNewConstraint[] = {
    {">= 1.1", 1, 1, false},
    {">40.50.60, < 50.70", 1, 2, false},
    {"2.0", 1, 1, false},
    {"v2.3.5-20161202202307-sha.e8fc5e5", 1, 1, false},
    {">= bar", 0, 0, true},
    {"BAR >= 1.2.3", 0, 0, true},
    // Space separated AND.
    {">= 1.2.3 < 2.0", 1, 2, false},
    {">= 1.2.3 < 2.0 || => 3.0 < 4", 2, 2, false},
    // Commas separating AND.
    {">= 1.2.3, < 2.0", 1, 2, false},
    {">= 1.2.3, < 2.0 || => 3.0, < 4", 2, 2, false},
    // The 3 - 4 is broken into 2 by the range rewriting.
    {"3 - 4 || => 3.0, < 4", 2, 2, false},
    // Four parts (Masterminds issue #185).
    {"12.3.4.1234", 0, 0, true},
    {"12.23.4.1234", 0, 0, true},
    {"12.3.34.1234", 0, 0, true},
    {"12.3.34 ~1.2.3", 1, 2, false},
    {"12.3.34~ 1.2.3", 0, 0, true},
    {"1.0.0 - 2.0.0, <=2.0.0", 1, 3, false},
};

TEST(ConstraintParse, NewConstraintTable) {
  for (const NewConstraintRow& row : kNewConstraint) {
    if (row.err) {
      EXPECT_THROW(Constraint::parse(row.input), Error) << row.input;
      continue;
    }
    Constraint c = Constraint::parse(row.input);
    EXPECT_EQ(c.groups().size(), row.ors) << row.input;
    EXPECT_EQ(c.groups()[0].size(), row.count) << row.input;
  }
}

// TestConstraintsCheck.
const CheckRow kConstraintsCheck[] = {
    {"*", "1.2.3", true},
    {"~0.0.0", "1.2.3", true},
    {"0.x.x", "1.2.3", false},
    {"0.0.x", "1.2.3", false},
    {"0.0.0", "1.2.3", false},
    {"*", "1.2.3", true},
    {"^0.0.0", "1.2.3", false},
    {"= 2.0", "1.2.3", false},
    {"= 2.0", "2.0.0", true},
    {"4.1", "4.1.0", true},
    {"4.1.x", "4.1.3", true},
    {"1.x", "1.4", true},
    {"!=4.1", "4.1.0", false},
    {"!=4.1-alpha", "4.1.0-alpha", false},
    {"!=4.1-alpha", "4.1.1-alpha", false},
    {"!=4.1-alpha", "4.1.0", true},
    {"!=4.1", "5.1.0", true},
    {"!=4.x", "5.1.0", true},
    {"!=4.x", "4.1.0", false},
    {"!=4.1.x", "4.2.0", true},
    {"!=4.2.x", "4.2.3", false},
    {">1.1", "4.1.0", true},
    {">1.1", "1.1.0", false},
    {"<1.1", "0.1.0", true},
    {"<1.1", "1.1.0", false},
    {"<1.1", "1.1.1", false},
    {"<1.x", "1.1.1", false},
    {"<1.x", "0.1.1", true},
    {"<1.x", "2.0.0", false},
    {"<1.1.x", "1.2.1", false},
    {"<1.1.x", "1.1.500", false},
    {"<1.1.x", "1.0.500", true},
    {"<1.2.x", "1.1.1", true},
    {">=1.1", "4.1.0", true},
    {">=1.1", "4.1.0-beta", false},
    {">=1.1", "1.1.0", true},
    {">=1.1", "0.0.9", false},
    {"<=1.1", "0.1.0", true},
    {"<=1.1", "0.1.0-alpha", false},
    {"<=1.1-a", "0.1.0-alpha", true},
    {"<=1.1", "1.1.0", true},
    {"<=1.x", "1.1.0", true},
    {"<=2.x", "3.0.0", false},
    {"<=1.1", "1.1.1", true},
    {"<=1.1.x", "1.2.500", false},
    {"<=4.5", "3.4.0", true},
    {"<=4.5", "3.7.0", true},
    {"<=4.5", "4.6.3", false},
    {">1.1, <2", "1.1.1", false},
    {">1.1, <2", "1.2.1", true},
    {">1.1, <3", "4.3.2", false},
    {">=1.1, <2, !=1.2.3", "1.2.3", false},
    {">1.1 <2", "1.1.1", false},
    {">1.1 <2", "1.2.1", true},
    {">1.1    <3", "4.3.2", false},
    {">=1.1    <2    !=1.2.3", "1.2.3", false},
    {">=1.1, <2, !=1.2.3 || > 3", "4.1.2", true},
    {">=1.1, <2, !=1.2.3 || > 3", "3.1.2", false},
    {">=1.1, <2, !=1.2.3 || >= 3", "3.0.0", true},
    {">=1.1, <2, !=1.2.3 || > 3", "3.0.0", false},
    {">=1.1, <2, !=1.2.3 || > 3", "1.2.3", false},
    {">=1.1 <2 !=1.2.3", "1.2.3", false},
    {">=1.1 <2 !=1.2.3 || > 3", "4.1.2", true},
    {">=1.1 <2 !=1.2.3 || > 3", "3.1.2", false},
    {">=1.1 <2 !=1.2.3 || >= 3", "3.0.0", true},
    {">=1.1 <2 !=1.2.3 || > 3", "3.0.0", false},
    {">=1.1 <2 !=1.2.3 || > 3", "1.2.3", false},
    {"> 1.1, <     2", "1.1.1", false},
    {">   1.1, <2", "1.2.1", true},
    {">1.1, <  3", "4.3.2", false},
    {">= 1.1, <     2, !=1.2.3", "1.2.3", false},
    {"> 1.1 < 2", "1.1.1", false},
    {">1.1 < 2", "1.2.1", true},
    {"> 1.1    <3", "4.3.2", false},
    {">=1.1    < 2    != 1.2.3", "1.2.3", false},
    {">= 1.1, <2, !=1.2.3 || > 3", "4.1.2", true},
    {">= 1.1, <2, != 1.2.3 || > 3", "3.1.2", false},
    {">= 1.1, <2, != 1.2.3 || >= 3", "3.0.0", true},
    {">= 1.1, <2, !=1.2.3 || > 3", "3.0.0", false},
    {">= 1.1, <2, !=1.2.3 || > 3", "1.2.3", false},
    {">= 1.1 <2 != 1.2.3", "1.2.3", false},
    {">= 1.1 <2 != 1.2.3 || > 3", "4.1.2", true},
    {">= 1.1 <2 != 1.2.3 || > 3", "3.1.2", false},
    {">= 1.1 <2 != 1.2.3 || >= 3", "3.0.0", true},
    {">= 1.1 < 2 !=1.2.3 || > 3", "3.0.0", false},
    {">=1.1 < 2 !=1.2.3 || > 3", "1.2.3", false},
    {">= 1.0.0  <= 2.0.0-beta", "1.0.1-beta", true},
    {">= 1.0.0  <= 2.0.0-beta", "1.0.1", true},
    {">= 1.0.0  <= 2.0.0-beta", "3.0.0", false},
    {">= 1.0.0  <= 2.0.0-beta || > 3", "1.0.1-beta", true},
    {">= 1.0.0  <= 2.0.0-beta || > 3", "3.0.1-beta", false},
    {">= 1.0.0  <= 2.0.0-beta != 1.0.1 || > 3", "1.0.1-beta", true},
    {">= 1.0.0  <= 2.0.0-beta != 1.0.1-beta || > 3", "1.0.1-beta", false},
    {">= 1.0.0-0  <= 2.0.0", "1.0.1-beta", true},
    {"1.1 - 2", "1.1.1", true},
    {"1.5.0 - 4.5", "3.7.0", true},
    {"1.1-3", "4.3.2", false},
    {"^1.1", "1.1.1", true},
    {"^1.1", "4.3.2", false},
    {"^1.x", "1.1.1", true},
    {"^2.x", "1.1.1", false},
    {"^1.x", "2.1.1", false},
    {"^1.x", "1.1.1-beta1", false},
    {"^1.1.2-alpha", "1.2.1-beta1", true},
    {"^1.2.x-alpha", "1.1.1-beta1", false},
    {"^0.0.1", "0.0.1", true},
    {"^0.0.1", "0.3.1", false},
    {"~*", "2.1.1", true},
    {"~1", "2.1.1", false},
    {"~1", "1.3.5", true},
    {"~1", "1.4", true},
    {"~1.x", "2.1.1", false},
    {"~1.x", "1.3.5", true},
    {"~1.x", "1.4", true},
    {"~1.1", "1.1.1", true},
    {"~1.1", "1.1.1-alpha", false},
    {"~1.1-alpha", "1.1.1-beta", true},
    {"~1.1.1-beta", "1.1.1-alpha", false},
    {"~1.1.1-beta", "1.1.1", true},
    {"~1.2.3", "1.2.5", true},
    {"~1.2.3", "1.2.2", false},
    {"~1.2.3", "1.3.2", false},
    {"~1.1", "1.2.3", false},
    {"~1.3", "2.4.5", false},
    // Ranges work in conjunction with other constraints ANDed together.
    {"1.0.0 - 2.0.0 <=2.0.0", "1.5.0", true},
    {"1.0.0 - 2.0.0, <=2.0.0", "1.5.0", true},
};

// TestConstraintsCheckIncludePrerelease (IncludePrerelease = true).
const CheckRow kConstraintsCheckIncludePrerelease[] = {
    // Prereleases that normally would fail.
    {">=1.1", "4.1.0-beta", true},
    {">1.1", "4.1.0-beta", true},
    {"<=1.1", "0.1.0-alpha", true},
    {"<1.1", "0.1.0-alpha", true},
    {"^1.x", "1.1.1-beta1", true},
    {"~1.1", "1.1.1-alpha", true},
    {"*", "1.2.3-alpha", true},
    {"= 2.0", "2.0.1-beta", true},
    // Normal cases.
    {"*", "1.2.3", true},
    {"~0.0.0", "1.2.3", true},
    {"0.x.x", "1.2.3", false},
    {"0.0.x", "1.2.3", false},
    {"0.0.0", "1.2.3", false},
    {"*", "1.2.3", true},
    {"^0.0.0", "1.2.3", false},
    {"= 2.0", "1.2.3", false},
    {"= 2.0", "2.0.0", true},
    {"4.1", "4.1.0", true},
    {"4.1.x", "4.1.3", true},
    {"1.x", "1.4", true},
    {"!=4.1", "4.1.0", false},
    {"!=4.1-alpha", "4.1.0-alpha", false},
    {"!=4.1-alpha", "4.1.1-alpha", false},
    {"!=4.1-alpha", "4.1.0", true},
    {"!=4.1", "5.1.0", true},
    {"!=4.x", "5.1.0", true},
    {"!=4.x", "4.1.0", false},
    {"!=4.1.x", "4.2.0", true},
    {"!=4.2.x", "4.2.3", false},
    {">1.1", "4.1.0", true},
    {">1.1", "1.1.0", false},
    {"<1.1", "0.1.0", true},
    {"<1.1", "1.1.0", false},
    {"<1.1", "1.1.1", false},
    {"<1.x", "1.1.1", false},
    {"<1.x", "0.1.1", true},
    {"<1.x", "2.0.0", false},
    {"<1.1.x", "1.2.1", false},
    {"<1.1.x", "1.1.500", false},
    {"<1.1.x", "1.0.500", true},
    {"<1.2.x", "1.1.1", true},
    {">=1.1", "4.1.0", true},
    {">=1.1", "1.1.0", true},
    {">=1.1", "0.0.9", false},
    {"<=1.1", "0.1.0", true},
    {"<=1.1-a", "0.1.0-alpha", true},
    {"<=1.1", "1.1.0", true},
    {"<=1.x", "1.1.0", true},
    {"<=2.x", "3.0.0", false},
    {"<=1.1", "1.1.1", true},
    {"<=1.1.x", "1.2.500", false},
    {"<=4.5", "3.4.0", true},
    {"<=4.5", "3.7.0", true},
    {"<=4.5", "4.6.3", false},
    {">1.1, <2", "1.1.1", false},
    {">1.1, <2", "1.2.1", true},
    {">1.1, <3", "4.3.2", false},
    {">=1.1, <2, !=1.2.3", "1.2.3", false},
    {">1.1 <2", "1.1.1", false},
    {">1.1 <2", "1.2.1", true},
    {">1.1    <3", "4.3.2", false},
    {">=1.1    <2    !=1.2.3", "1.2.3", false},
    {">=1.1, <2, !=1.2.3 || > 3", "4.1.2", true},
    {">=1.1, <2, !=1.2.3 || > 3", "3.1.2", false},
    {">=1.1, <2, !=1.2.3 || >= 3", "3.0.0", true},
    {">=1.1, <2, !=1.2.3 || > 3", "3.0.0", false},
    {">=1.1, <2, !=1.2.3 || > 3", "1.2.3", false},
    {">=1.1 <2 !=1.2.3", "1.2.3", false},
    {">=1.1 <2 !=1.2.3 || > 3", "4.1.2", true},
    {">=1.1 <2 !=1.2.3 || > 3", "3.1.2", false},
    {">=1.1 <2 !=1.2.3 || >= 3", "3.0.0", true},
    {">=1.1 <2 !=1.2.3 || > 3", "3.0.0", false},
    {">=1.1 <2 !=1.2.3 || > 3", "1.2.3", false},
    {"> 1.1, <     2", "1.1.1", false},
    {">   1.1, <2", "1.2.1", true},
    {">1.1, <  3", "4.3.2", false},
    {">= 1.1, <     2, !=1.2.3", "1.2.3", false},
    {"> 1.1 < 2", "1.1.1", false},
    {">1.1 < 2", "1.2.1", true},
    {"> 1.1    <3", "4.3.2", false},
    {">=1.1    < 2    != 1.2.3", "1.2.3", false},
    {">= 1.1, <2, !=1.2.3 || > 3", "4.1.2", true},
    {">= 1.1, <2, != 1.2.3 || > 3", "3.1.2", false},
    {">= 1.1, <2, != 1.2.3 || >= 3", "3.0.0", true},
    {">= 1.1, <2, !=1.2.3 || > 3", "3.0.0", false},
    {">= 1.1, <2, !=1.2.3 || > 3", "1.2.3", false},
    {">= 1.1 <2 != 1.2.3", "1.2.3", false},
    {">= 1.1 <2 != 1.2.3 || > 3", "4.1.2", true},
    {">= 1.1 <2 != 1.2.3 || > 3", "3.1.2", false},
    {">= 1.1 <2 != 1.2.3 || >= 3", "3.0.0", true},
    {">= 1.1 < 2 !=1.2.3 || > 3", "3.0.0", false},
    {">=1.1 < 2 !=1.2.3 || > 3", "1.2.3", false},
    {">= 1.0.0  <= 2.0.0-beta", "1.0.1-beta", true},
    {">= 1.0.0  <= 2.0.0-beta", "1.0.1", true},
    {">= 1.0.0  <= 2.0.0-beta", "3.0.0", false},
    {">= 1.0.0  <= 2.0.0-beta || > 3", "1.0.1-beta", true},
    {">= 1.0.0  <= 2.0.0-beta || > 3", "3.0.1-beta", false},
    {">= 1.0.0  <= 2.0.0-beta != 1.0.1 || > 3", "1.0.1-beta", true},
    {">= 1.0.0  <= 2.0.0-beta != 1.0.1-beta || > 3", "1.0.1-beta", false},
    {">= 1.0.0-0  <= 2.0.0", "1.0.1-beta", true},
    {"1.1 - 2", "1.1.1", true},
    {"1.5.0 - 4.5", "3.7.0", true},
    {"1.1-3", "4.3.2", false},
    {"^1.1", "1.1.1", true},
    {"^1.1", "4.3.2", false},
    {"^1.x", "1.1.1", true},
    {"^2.x", "1.1.1", false},
    {"^1.x", "2.1.1", false},
    {"^1.1.2-alpha", "1.2.1-beta1", true},
    {"^1.2.x-alpha", "1.1.1-beta1", false},
    {"^0.0.1", "0.0.1", true},
    {"^0.0.1", "0.3.1", false},
    {"~*", "2.1.1", true},
    {"~1", "2.1.1", false},
    {"~1", "1.3.5", true},
    {"~1", "1.4", true},
    {"~1.x", "2.1.1", false},
    {"~1.x", "1.3.5", true},
    {"~1.x", "1.4", true},
    {"~1.1", "1.1.1", true},
    {"~1.1-alpha", "1.1.1-beta", true},
    {"~1.1.1-beta", "1.1.1-alpha", false},
    {"~1.1.1-beta", "1.1.1", true},
    {"~1.2.3", "1.2.5", true},
    {"~1.2.3", "1.2.2", false},
    {"~1.2.3", "1.3.2", false},
    {"~1.1", "1.2.3", false},
    {"~1.3", "2.4.5", false},
    {"1.0.0 - 2.0.0 <=2.0.0", "1.5.0", true},
    {"1.0.0 - 2.0.0, <=2.0.0", "1.5.0", true},
};

// TestConstraintsValidate: the boolean half (Validate agrees with Check).
const CheckRow kConstraintsValidate[] = {
    {"*", "1.2.3", true},
    {"~0.0.0", "1.2.3", true},
    {"= 2.0", "1.2.3", false},
    {"= 2.0", "2.0.0", true},
    {"4.1", "4.1.0", true},
    {"4.1.x", "4.1.3", true},
    {"1.x", "1.4", true},
    {"!=4.1", "4.1.0", false},
    {"!=4.1", "5.1.0", true},
    {"!=4.x", "5.1.0", true},
    {"!=4.x", "4.1.0", false},
    {"!=4.1.x", "4.2.0", true},
    {"!=4.2.x", "4.2.3", false},
    {">1.1", "4.1.0", true},
    {">1.1", "1.1.0", false},
    {"<1.1", "0.1.0", true},
    {"<1.1", "1.1.0", false},
    {"<1.1", "1.1.1", false},
    {"<1.x", "1.1.1", false},
    {"<2.x", "1.1.1", true},
    {"<1.x", "2.1.1", false},
    {"<1.1.x", "1.2.1", false},
    {"<1.1.x", "1.1.500", false},
    {"<1.2.x", "1.1.1", true},
    {">=1.1", "4.1.0", true},
    {">=1.1", "1.1.0", true},
    {">=1.1", "0.0.9", false},
    {"<=1.1", "0.1.0", true},
    {"<=1.1", "1.1.0", true},
    {"<=1.x", "1.1.0", true},
    {"<=2.x", "3.1.0", false},
    {"<=1.1", "1.1.1", true},
    {"<=1.1.x", "1.2.500", false},
    {">1.1, <2", "1.1.1", false},
    {">1.1, <2", "1.2.1", true},
    {">1.1, <3", "4.3.2", false},
    {">=1.1, <2, !=1.2.3", "1.2.3", false},
    {">=1.1, <2, !=1.2.3 || > 3", "3.1.2", false},
    {">=1.1, <2, !=1.2.3 || > 3", "4.1.2", true},
    {">=1.1, <2, !=1.2.3 || >= 3", "3.0.0", true},
    {">=1.1, <2, !=1.2.3 || > 3", "3.0.0", false},
    {">=1.1, <2, !=1.2.3 || > 3", "1.2.3", false},
    {"1.1 - 2", "1.1.1", true},
    {"1.1-3", "4.3.2", false},
    {"^1.1", "1.1.1", true},
    {"^1.1", "1.1.1-alpha", false},
    {"^1.1.1-alpha", "1.1.1-beta", true},
    {"^1.1.1-beta", "1.1.1-alpha", false},
    {"^1.1", "4.3.2", false},
    {"^1.x", "1.1.1", true},
    {"^2.x", "1.1.1", false},
    {"^1.x", "2.1.1", false},
    {"^0.0.1", "0.1.3", false},
    {"^0.0.1", "0.0.1", true},
    {"~*", "2.1.1", true},
    {"~1", "2.1.1", false},
    {"~1", "1.3.5", true},
    {"~1", "1.3.5-beta", false},
    {"~1.x", "2.1.1", false},
    {"~1.x", "1.3.5", true},
    {"~1.x", "1.3.5-beta", false},
    {"~1.3.6-alpha", "1.3.5-beta", false},
    {"~1.3.5-alpha", "1.3.5-beta", true},
    {"~1.3.5-beta", "1.3.5-alpha", false},
    {"~1.x", "1.4", true},
    {"~1.1", "1.1.1", true},
    {"~1.2.3", "1.2.5", true},
    {"~1.2.3", "1.2.2", false},
    {"~1.2.3", "1.3.2", false},
    {"~1.1", "1.2.3", false},
    {"~1.3", "2.4.5", false},
};

// TestConstraintsValidateIncludePrerelease: the boolean half, IncludePrerelease = true.
const CheckRow kConstraintsValidateIncludePrerelease[] = {
    // Pass only because prereleases are included.
    {"^1.1", "1.1.1-alpha", true},
    {"~1", "1.3.5-beta", true},
    {"~1.x", "1.3.5-beta", true},
    {">=1.1", "4.1.0-beta", true},
    {">1.1", "4.1.0-beta", true},
    {"<=1.1", "0.1.0-alpha", true},
    {"<1.1", "0.1.0-alpha", true},
    {"^1.x", "1.1.1-beta1", true},
    {"~1.1", "1.1.1-alpha", true},
    {"*", "1.2.3-alpha", true},
    {"= 2.0", "2.0.1-beta", true},
    // Pass normally.
    {"*", "1.2.3", true},
    {"~0.0.0", "1.2.3", true},
    {"= 2.0", "1.2.3", false},
    {"= 2.0", "2.0.0", true},
    {"4.1", "4.1.0", true},
    {"4.1.x", "4.1.3", true},
    {"1.x", "1.4", true},
    {"!=4.1", "4.1.0", false},
    {"!=4.1", "5.1.0", true},
    {"!=4.x", "5.1.0", true},
    {"!=4.x", "4.1.0", false},
    {"!=4.1.x", "4.2.0", true},
    {"!=4.2.x", "4.2.3", false},
    {">1.1", "4.1.0", true},
    {">1.1", "1.1.0", false},
    {"<1.1", "0.1.0", true},
    {"<1.1", "1.1.0", false},
    {"<1.1", "1.1.1", false},
    {"<1.x", "1.1.1", false},
    {"<2.x", "1.1.1", true},
    {"<1.x", "2.1.1", false},
    {"<1.1.x", "1.2.1", false},
    {"<1.1.x", "1.1.500", false},
    {"<1.2.x", "1.1.1", true},
    {">=1.1", "4.1.0", true},
    {">=1.1", "1.1.0", true},
    {">=1.1", "0.0.9", false},
    {"<=1.1", "0.1.0", true},
    {"<=1.1", "1.1.0", true},
    {"<=1.x", "1.1.0", true},
    {"<=2.x", "3.1.0", false},
    {"<=1.1", "1.1.1", true},
    {"<=1.1.x", "1.2.500", false},
    {">1.1, <2", "1.1.1", false},
    {">1.1, <2", "1.2.1", true},
    {">1.1, <3", "4.3.2", false},
    {">=1.1, <2, !=1.2.3", "1.2.3", false},
    {">=1.1, <2, !=1.2.3 || > 3", "3.1.2", false},
    {">=1.1, <2, !=1.2.3 || > 3", "4.1.2", true},
    {">=1.1, <2, !=1.2.3 || >= 3", "3.0.0", true},
    {">=1.1, <2, !=1.2.3 || > 3", "3.0.0", false},
    {">=1.1, <2, !=1.2.3 || > 3", "1.2.3", false},
    {"1.1 - 2", "1.1.1", true},
    {"1.1-3", "4.3.2", false},
    {"^1.1", "1.1.1", true},
    {"^1.1.1-alpha", "1.1.1-beta", true},
    {"^1.1.1-beta", "1.1.1-alpha", false},
    {"^1.1", "4.3.2", false},
    {"^1.x", "1.1.1", true},
    {"^2.x", "1.1.1", false},
    {"^1.x", "2.1.1", false},
    {"^0.0.1", "0.1.3", false},
    {"^0.0.1", "0.0.1", true},
    {"~*", "2.1.1", true},
    {"~1", "2.1.1", false},
    {"~1", "1.3.5", true},
    {"~1.x", "2.1.1", false},
    {"~1.x", "1.3.5", true},
    {"~1.3.6-alpha", "1.3.5-beta", false},
    {"~1.3.5-alpha", "1.3.5-beta", true},
    {"~1.3.5-beta", "1.3.5-alpha", false},
    {"~1.x", "1.4", true},
    {"~1.1", "1.1.1", true},
    {"~1.2.3", "1.2.5", true},
    {"~1.2.3", "1.2.2", false},
    {"~1.2.3", "1.3.2", false},
    {"~1.1", "1.2.3", false},
    {"~1.3", "2.4.5", false},
};

void expect_checks(const CheckRow* rows, std::size_t n, bool include_prerelease) {
  for (std::size_t i = 0; i < n; ++i) {
    const CheckRow& row = rows[i];
    Constraint c = Constraint::parse(row.constraint);
    c.set_include_prerelease(include_prerelease);
    EXPECT_EQ(c.check(must_parse(row.version)), row.check)
        << "\"" << row.constraint << "\" with " << row.version
        << (include_prerelease ? " (prereleases included)" : "");
  }
}

TEST(ConstraintCheck, ConstraintsCheckTable) {
  expect_checks(kConstraintsCheck, std::size(kConstraintsCheck), false);
}

TEST(ConstraintCheck, ConstraintsCheckIncludePrereleaseTable) {
  expect_checks(kConstraintsCheckIncludePrerelease, std::size(kConstraintsCheckIncludePrerelease),
                true);
}

TEST(ConstraintCheck, ConstraintsValidateTables) {
  expect_checks(kConstraintsValidate, std::size(kConstraintsValidate), false);
  expect_checks(kConstraintsValidateIncludePrerelease,
                std::size(kConstraintsValidateIncludePrerelease), true);
}

struct RewriteRow {
  const char* in;
  const char* out;
};
// TestRewriteRange.
const RewriteRow kRewriteRange[] = {
    {"2 - 3", ">= 2, <= 3 "},
    {"2 - 3, 2 - 3", ">= 2, <= 3 ,>= 2, <= 3 "},
    {"2 - 3, 4.0.0 - 5.1", ">= 2, <= 3 ,>= 4.0.0, <= 5.1 "},
    {"2 - 3 4.0.0 - 5.1", ">= 2, <= 3 >= 4.0.0, <= 5.1 "},
    {"1.0.0 - 2.0.0 <=2.0.0", ">= 1.0.0, <= 2.0.0 <=2.0.0"},
};

TEST(ConstraintParse, RewriteRangeTable) {
  for (const RewriteRow& row : kRewriteRange) {
    EXPECT_EQ(detail::rewrite_hyphen_ranges(row.in), row.out) << row.in;
  }
}

// TestIsX, through a constraint made of the one part.
TEST(ConstraintParse, IsXTable) {
  const struct {
    const char* t;
    bool c;
  } rows[] = {{"A", false}, {"%", false}, {"X", true}, {"x", true}, {"*", true}};
  for (const auto& row : rows) {
    if (row.c) {
      EXPECT_TRUE(Constraint::parse(row.t).check(must_parse("7.8.9"))) << row.t;
    } else {
      EXPECT_THROW(Constraint::parse(row.t), Error) << row.t;
    }
  }
}

// TestConstraintString, TestTextMarshalConstraints and TestTextUnmarshalConstraints.
const StringRow kConstraintString[] = {
    {"*", "*"},
    {">=1.2.3", ">=1.2.3"},
    {">= 1.2.3", ">=1.2.3"},
    {"2.x,   >=1.2.3 || >4.5.6, < 5.7", "2.x >=1.2.3 || >4.5.6 <5.7"},
    {"2.x,   >=1.2.3 || >4.5.6, < 5.7 || >40.50.60, < 50.70",
     "2.x >=1.2.3 || >4.5.6 <5.7 || >40.50.60 <50.70"},
    {"1.2", "1.2"},
    // TextMarshal.
    {"1.2.3", "1.2.3"},
    {">=1.2.3", ">=1.2.3"},
    {"<=1.2.3", "<=1.2.3"},
    {"1 <=1.2.3", "1 <=1.2.3"},
    {"1, <=1.2.3", "1 <=1.2.3"},
    {">1, <=1.2.3", ">1 <=1.2.3"},
    {"> 1 , <=1.2.3", ">1 <=1.2.3"},
    // TextUnmarshal.
    {"1.2.3", "1.2.3"},
    {">=1.2.3", ">=1.2.3"},
    {"<=1.2.3", "<=1.2.3"},
    {">1 <=1.2.3", ">1 <=1.2.3"},
    {"> 1 <=1.2.3", ">1 <=1.2.3"},
    {">1, <=1.2.3", ">1 <=1.2.3"},
};

TEST(ConstraintParse, StringTable) {
  for (const StringRow& row : kConstraintString) {
    Constraint c = Constraint::parse(row.version);
    EXPECT_EQ(c.to_string(), row.expected) << row.version;
    EXPECT_NO_THROW(Constraint::parse(c.to_string())) << row.version;
  }
}

// ---------------------------------------------------------------------------------------
// Behaviour Masterminds has without a table row, pinned here.

TEST(ConstraintParse, EmptyConstraintIsRejected) {
  EXPECT_THROW(Constraint::parse(""), Error);
  EXPECT_THROW(Constraint::parse("   "), Error);
  EXPECT_THROW(Constraint::parse("1.2 ||"), Error);
}

TEST(ConstraintParse, OperatorsAndSeparators) {
  for (const char* ok :
       {"=1.2.3", "!=1.2.3", ">1", "<1", ">=1", "=>1", "<=1", "=<1", "~1", "~>1", "^1", "1.2.X",
        "1.2.*", "x", "v1.2.3", ">= 1.2 , < 2", "\t>=1.2\n<2\r", "1.2 - 1.4.5", "1.0.0+build.1"}) {
    EXPECT_NO_THROW(Constraint::parse(ok)) << ok;
  }
  // "==" is not a Masterminds operator; nor are "~=" or "> =".
  for (const char* bad : {"==1.2.3", "~=1.2", "> =1.2", "1.2,,1.3", ",1.2", "1.2,", "1.2>1", "!1.2",
                          "1.2.3-01", "18446744073709551616", "1|2", "1 ||| 2", "1.2.3\v"}) {
    EXPECT_THROW(Constraint::parse(bad), Error) << bad;
  }
}

TEST(ConstraintParse, ErrorNamesTheInputAndWhatIsExpected) {
  try {
    Constraint::parse(">= 1.2 || bogus");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    std::string msg = e.what();
    EXPECT_NE(msg.find(">= 1.2 || bogus"), std::string::npos) << msg;
    EXPECT_NE(msg.find("bogus"), std::string::npos) << msg;
    EXPECT_NE(msg.find("expected"), std::string::npos) << msg;
  }
  EXPECT_THROW(Constraint::parse(std::string(kMaxConstraintLength + 1, '1')), Error);
}

TEST(ConstraintCheck, PrereleaseInOneTermOpensTheWholeAndGroupOnly) {
  // Masterminds #267: a prerelease in any term of an AND group lets that group accept
  // prereleases of any version; other OR groups still reject them.
  Constraint c = Constraint::parse(">=1.0.0-0 <3.0.0 || ^5");
  EXPECT_TRUE(c.check(must_parse("2.4.0-rc.1")));
  EXPECT_FALSE(c.check(must_parse("5.1.0-rc.1")));
  EXPECT_TRUE(c.check(must_parse("5.1.0")));
}

TEST(ConstraintCheck, CaretAndTildeEdges) {
  // Masterminds' code (not its comment) makes "^*" behave like "^0.0.0"-with-x: major 0 only.
  EXPECT_FALSE(Constraint::parse("^*").check(must_parse("1.2.3")));
  EXPECT_TRUE(Constraint::parse("^*").check(must_parse("0.0.0")));
  EXPECT_TRUE(Constraint::parse("~>1.2").check(must_parse("1.2.9")));
  EXPECT_FALSE(Constraint::parse("~>1.2").check(must_parse("1.3.0")));
  EXPECT_TRUE(Constraint::parse("^0.x").check(must_parse("0.9.9")));
  EXPECT_FALSE(Constraint::parse("^0.x").check(must_parse("1.0.0")));
}

// ---------------------------------------------------------------------------------------
// Tag resolution (Argo CD's MaxVersion over Helm's tag list) and exact versions.

TEST(HighestMatch, PicksNumericallyHighestAndSkipsNonVersions) {
  std::vector<std::string> tags = {"1.0.0",         "1.2.3",         "latest",   "1.10.0",
                                   "sha256-ab.sig", "2.0.0-rc.1",    "1.2.3-01", "1.9.9_build.7",
                                   "main",          "1.2.4_build.5", ""};
  std::optional<Version> v = highest_match(Constraint::parse("^1.0"), tags);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->to_string(), "1.10.0");

  v = highest_match(Constraint::parse("~1.2"), tags);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->to_string(), "1.2.4+build.5");
  EXPECT_EQ(v->metadata, "build.5");
  EXPECT_EQ(v->original, "1.2.4_build.5");  // the tag to fetch

  v = highest_match(Constraint::parse("1.9.x"), tags);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->original, "1.9.9_build.7");
}

TEST(HighestMatch, PrereleasesOnlyWhenTheConstraintAsksForThem) {
  std::vector<std::string> tags = {"1.0.0", "2.0.0-rc.1", "2.0.0-rc.2", "1.5.0"};
  EXPECT_EQ(highest_match(Constraint::parse(">=1"), tags)->to_string(), "1.5.0");
  EXPECT_EQ(highest_match(Constraint::parse(">=1.0.0-0"), tags)->to_string(), "2.0.0-rc.2");
  EXPECT_EQ(highest_match(Constraint::parse("*"), tags)->to_string(), "1.5.0");
}

TEST(HighestMatch, VPrefixedTagsCount) {
  std::vector<std::string> tags = {"v1.3.0", "1.2.0", "v1.4.0-beta.1", "v2"};
  std::optional<Version> v = highest_match(Constraint::parse("~1"), tags);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->to_string(), "1.3.0");
  EXPECT_EQ(v->original, "v1.3.0");
  EXPECT_EQ(highest_match(Constraint::parse(">=2"), tags)->original, "v2");
}

TEST(HighestMatch, FirstOfEqualVersionsWinsAndNoMatchIsNullopt) {
  std::vector<std::string> tags = {"1.2.3_a", "v1.2.3", "1.2.3", "1.2.3_b"};
  EXPECT_EQ(highest_match(Constraint::parse("1.2.3"), tags)->original, "1.2.3_a");
  EXPECT_FALSE(highest_match(Constraint::parse(">=3"), tags));
  EXPECT_FALSE(highest_match(Constraint::parse("*"), {}));
}

// What Masterminds' loose NewVersion accepts is an exact tag to Helm and Argo CD,
// partial versions included ("1.2" pulls the tag "1.2", never 1.2.3).
TEST(ExactVersion, WhatTheLooseParseAccepts) {
  for (const char* yes : {"1.2.3", "v1.2.3", "1.2.3-rc.1", "1.2.3+build.5", "0.0.0", "01.2.3", "1",
                          "1.2", "v1.2", "v1", "1.2-rc.1"}) {
    EXPECT_TRUE(is_exact_version(yes)) << yes;
  }
  for (const char* no :
       {"", "1.2.x", "^1.2.3", "~1.2.3", ">=1.2.3", "=1.2.3", "1.2.3 || 1.2.4", "1.2.3 - 1.2.4",
        " 1.2.3", "1.2.3_build", "latest", "1.2.3-01", "1.2.3.4"}) {
    EXPECT_FALSE(is_exact_version(no)) << no;
  }
}

TEST(PartialVersion, ExactVersionsWithoutPatchOnly) {
  for (const char* yes : {"1", "1.2", "v1.2", "v1", "1.2-rc.1", "1.2+b"}) {
    EXPECT_TRUE(is_partial_version(yes)) << yes;
  }
  for (const char* no : {"", "1.2.3", "v1.2.3", "1.2.x", "~1.2", "1.2 - 1.3", "latest"}) {
    EXPECT_FALSE(is_partial_version(no)) << no;
  }
}

}  // namespace
}  // namespace ecrhelm::oci
