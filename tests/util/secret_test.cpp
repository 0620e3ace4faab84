// Secret never prints its value: not through streams, fmt, errors or gtest.
#include "util/secret.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <utility>

#include "util/error.h"

namespace ecrhelm {
namespace {

constexpr const char* kValue = "AKIAEXAMPLESECRETVALUE";

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(Secret, StreamPrintsRedacted) {
  Secret s(kValue);
  std::ostringstream os;
  os << s;
  EXPECT_EQ(os.str(), "<redacted>");
  EXPECT_FALSE(contains(os.str(), kValue));
}

TEST(Secret, FmtPrintsRedacted) {
  Secret s(kValue);
  EXPECT_EQ(fmt::format("{}", s), "<redacted>");
  std::string msg = fmt::format("token {} for {}", s, "registry");
  EXPECT_EQ(msg, "token <redacted> for registry");
  EXPECT_FALSE(contains(msg, kValue));
}

TEST(Secret, FmtFormatSpecsApplyToTheRedactedText) {
  Secret s(kValue);
  EXPECT_EQ(fmt::format("[{:>12}]", s), "[  <redacted>]");
  EXPECT_FALSE(contains(fmt::format("{:.100}", s), kValue));
}

TEST(Secret, EmptySecretAlsoPrintsRedacted) {
  Secret s;
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(fmt::format("{}", s), "<redacted>");
  std::ostringstream os;
  os << s;
  EXPECT_EQ(os.str(), "<redacted>");
}

TEST(Secret, ErrorMessagesBuiltWithFailDoNotLeak) {
  Secret s(kValue);
  try {
    fail(ErrorKind::kUnauthorized, "credentials {} were rejected", s);
  } catch (const Error& e) {
    EXPECT_FALSE(contains(e.what(), kValue));
    EXPECT_TRUE(contains(e.what(), "<redacted>"));
  }
}

TEST(Secret, GtestPrintsRedacted) {
  Secret s(kValue);
  std::string printed = ::testing::PrintToString(s);
  EXPECT_FALSE(contains(printed, kValue)) << "gtest would leak it in assertion failures";
}

TEST(Secret, RevealReturnsTheValue) {
  Secret s(kValue);
  EXPECT_EQ(s.reveal(), kValue);
  EXPECT_FALSE(s.empty());
  Secret binary(std::string("a\0b", 3));
  EXPECT_EQ(binary.reveal().size(), 3u);
}

TEST(Secret, Equality) {
  EXPECT_TRUE(Secret("abc") == Secret("abc"));
  EXPECT_FALSE(Secret("abc") == Secret("abd"));
  EXPECT_FALSE(Secret("abc") == Secret("abcd"));
  EXPECT_FALSE(Secret("abcd") == Secret("abc"));
  EXPECT_FALSE(Secret("") == Secret("a"));
  EXPECT_TRUE(Secret() == Secret(""));
  EXPECT_TRUE(Secret() == Secret());
  EXPECT_TRUE(Secret("abc") != Secret("xyz"));  // C++20 rewrites != from ==
}

TEST(Secret, CopyAndMoveKeepTheValue) {
  Secret a(kValue);
  Secret b = a;
  EXPECT_EQ(b.reveal(), kValue);
  EXPECT_EQ(a.reveal(), kValue);
  Secret c = std::move(b);
  EXPECT_EQ(c.reveal(), kValue);
  Secret d;
  d = c;
  EXPECT_EQ(d.reveal(), kValue);
  Secret e;
  e = std::move(d);
  EXPECT_EQ(e.reveal(), kValue);
  EXPECT_TRUE(a == e);
}

TEST(Secret, SelfAssignmentKeepsTheValue) {
  Secret a(kValue);
  Secret& ref = a;
  a = ref;
  EXPECT_EQ(a.reveal(), kValue);
}

TEST(Secret, RedactReplacesEveryOccurrenceOfLongValues) {
  Secret pw("hunter2-long-password"), user("AWS");
  std::string got =
      redact("Invalid value: \"hunter2-long-password\" and hunter2-long-password by AWS",
             {&pw, &user, nullptr});
  EXPECT_EQ(got, "Invalid value: \"<redacted>\" and <redacted> by AWS");
  // A value that contains the replacement text does not loop.
  Secret odd("<redacted><redacted>");
  EXPECT_EQ(redact("x <redacted><redacted> y", {&odd}), "x <redacted> y");
}

}  // namespace
}  // namespace ecrhelm

namespace ecrhelm {
namespace {

TEST(RedactTokenLike, ReplacesKeyAndTokenShapedWordsOnly) {
  EXPECT_EQ(redact_token_like("key AKIAIOSFODNN7EXAMPLE, secret wJalrXUtnFEMI/K7MDENG/bPxRfiCY"),
            "key <redacted>, secret <redacted>");
  // Ordinary words, paths, numbers and dates stay.
  const char* kept =
      "token expired at 2026-11-28T13:17:01Z; run aws sso login --profile dev "
      "/usr/local/bin/docker-credential-desktop 1234567890123456789";
  EXPECT_EQ(redact_token_like(kept), kept);
}

}  // namespace
}  // namespace ecrhelm
