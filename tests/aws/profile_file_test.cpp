// The shared config/credentials parser: botocore's INI rules, profile naming in each file,
// credentials-file precedence, file locations, and a file+line message for every malformed line.
#include "aws/profile_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/testbed.h"
#include "util/error.h"

namespace ecrhelm::test {
namespace {

using aws::parse_ini;
using aws::ProfileSet;

std::string value(const ProfileSet& set, const std::string& profile, const std::string& key) {
  const aws::Profile* p = set.find(profile);
  if (!p) return "<no profile>";
  const aws::ProfileValue* v = p->get(key);
  return v ? v->value : "<unset>";
}

// The message of the Error parse_ini throws for `text` (fails the test if none).
std::string parse_error(const std::string& text, const std::string& file = "~/.aws/config") {
  try {
    parse_ini(text, file);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    return e.what();
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return "";
}

TEST(ParseIni, SectionsKeysAndBothSpacings) {
  auto s = parse_ini(
      "[default]\nregion = eu-west-1\noutput=json\n\n[profile dev]\nRegion =us-east-2\n", "cfg");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].name, "default");
  EXPECT_EQ(s[0].line, 1);
  EXPECT_EQ(s[0].values.at("region").value, "eu-west-1");
  EXPECT_EQ(s[0].values.at("output").value, "json");
  EXPECT_EQ(s[0].values.at("output").line, 3);
  EXPECT_EQ(s[0].values.at("output").file, "cfg");
  EXPECT_EQ(s[1].name, "profile dev");
  // Keys are case-insensitive (lower-cased); values keep their case.
  EXPECT_EQ(s[1].values.at("region").value, "us-east-2");
}

TEST(ParseIni, CommentsFullLineAndInline) {
  auto s = parse_ini(
      "# top comment\n"
      "; another\n"
      "[default] # header comment\n"
      "  # indented comment\n"
      "region = eu-west-1 # inline\n"
      "output = json ; inline too\n"
      "role_arn = arn:aws:iam::1:role/a#b\n"
      "cmd = tool --x=1;y\n"
      "empty = # only a comment\n",
      "cfg");
  ASSERT_EQ(s.size(), 1u);
  const auto& v = s[0].values;
  EXPECT_EQ(v.at("region").value, "eu-west-1");
  EXPECT_EQ(v.at("output").value, "json");
  // '#' and ';' not preceded by whitespace are part of the value.
  EXPECT_EQ(v.at("role_arn").value, "arn:aws:iam::1:role/a#b");
  EXPECT_EQ(v.at("cmd").value, "tool --x=1;y");
  EXPECT_EQ(v.at("empty").value, "");
  EXPECT_EQ(v.size(), 5u);
}

TEST(ParseIni, NestedBlocksDoNotBreakParsing) {
  auto s = parse_ini(
      "[profile dev]\n"
      "region = us-west-2\n"
      "s3 =\n"
      "  max_concurrent_requests = 20\n"
      "\n"
      "  # comment inside the block\n"
      "\taddressing_style = path\n"
      "output = text\n"
      "[profile next]\n"
      "region = ap-south-1\n",
      "cfg");
  ASSERT_EQ(s.size(), 2u);
  const auto& v = s[0].values;
  EXPECT_EQ(v.at("region").value, "us-west-2");
  EXPECT_EQ(v.at("s3").value, "\nmax_concurrent_requests = 20\naddressing_style = path");
  EXPECT_EQ(v.at("output").value, "text");
  EXPECT_FALSE(v.count("max_concurrent_requests"));
  EXPECT_FALSE(v.count("addressing_style"));
  EXPECT_EQ(s[1].values.at("region").value, "ap-south-1");
}

TEST(ParseIni, IndentedLinesAfterAValueContinueIt) {
  // configparser: a deeper-indented line continues the value above it.
  auto s = parse_ini("[a]\nkey = first\n   second\nother = x\n", "cfg");
  EXPECT_EQ(s[0].values.at("key").value, "first\nsecond");
  EXPECT_EQ(s[0].values.at("other").value, "x");
}

TEST(ParseIni, EquallyIndentedKeysAreSeparateKeys) {
  auto s = parse_ini("[default]\n  region = eu-west-1\n  output = json\n", "cfg");
  EXPECT_EQ(s[0].values.at("region").value, "eu-west-1");
  EXPECT_EQ(s[0].values.at("output").value, "json");
}

TEST(ParseIni, CrlfBomAndNoTrailingNewline) {
  auto s = parse_ini("\xEF\xBB\xBF[default]\r\nregion = eu-north-1\r\noutput = json", "cfg");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].name, "default");
  EXPECT_EQ(s[0].values.at("region").value, "eu-north-1");
  EXPECT_EQ(s[0].values.at("output").value, "json");
}

TEST(ParseIni, ValueKeepsEqualsSignsAndLaterKeyWins) {
  auto s = parse_ini("[a]\ncredential_process = tool --opt=a=b\nx = 1\nX = 2\n", "cfg");
  EXPECT_EQ(s[0].values.at("credential_process").value, "tool --opt=a=b");
  EXPECT_EQ(s[0].values.at("x").value, "2");
  EXPECT_EQ(s[0].values.at("x").line, 4);
}

TEST(ParseIni, EmptyInputHasNoSections) {
  EXPECT_TRUE(parse_ini("", "cfg").empty());
  EXPECT_TRUE(parse_ini("\n\n# only comments\n", "cfg").empty());
}

TEST(ParseIniErrors, KeyWithoutEquals) {
  std::string msg = parse_error("[default]\nregion = x\n\n\n\n[profile dev]\nAKIASECRETLINE\n");
  EXPECT_EQ(msg, "~/.aws/config line 7: expected 'key = value' inside [profile dev]");
  // The offending text is never echoed: it may be a pasted secret.
  EXPECT_EQ(msg.find("AKIASECRETLINE"), std::string::npos);
}

TEST(ParseIniErrors, SettingBeforeAnySection) {
  std::string msg = parse_error("# comment\nregion = eu-west-1\n[default]\n");
  EXPECT_NE(msg.find("~/.aws/config line 2: setting outside any section"), std::string::npos)
      << msg;
}

TEST(ParseIniErrors, UnclosedSectionHeader) {
  std::string msg = parse_error("[default]\na = b\n[profile dev\n", "/etc/aws/config");
  EXPECT_NE(msg.find("/etc/aws/config line 3: section header is missing its closing ']'"),
            std::string::npos)
      << msg;
}

TEST(ParseIniErrors, EmptySectionName) {
  std::string msg = parse_error("[  ]\n");
  EXPECT_NE(msg.find("line 1: empty section name"), std::string::npos) << msg;
}

TEST(ParseIniErrors, TextAfterSectionHeader) {
  std::string msg = parse_error("[default] region = x\n");
  EXPECT_NE(msg.find("line 1: unexpected text after ']'"), std::string::npos) << msg;
}

TEST(ParseIniErrors, MissingKey) {
  std::string msg = parse_error("[default]\n = value\n");
  EXPECT_NE(msg.find("line 2: missing key before '=' inside [default]"), std::string::npos) << msg;
}

TEST(ParseIniErrors, NestedLineWithoutEquals) {
  std::string msg = parse_error("[default]\ns3 =\n  max_concurrent_requests = 20\n  oops\n");
  EXPECT_NE(msg.find("line 4: expected 'key = value' in the indented block under 's3' inside "
                     "[default]"),
            std::string::npos)
      << msg;
}

// Issue 18, defect 10: the AWS CLI v1 (configparser, strict) refuses a
// section that appears twice in one file instead of merging it.
TEST(ParseIniErrors, DuplicateSectionIsRefusedNamingBothLines) {
  std::string msg = parse_error("[default]\nregion = a\n[profile dev]\nregion = b\n[default]\n");
  EXPECT_NE(msg.find("~/.aws/config line 5: section [default] already appears on line 1"),
            std::string::npos)
      << msg;
}

TEST(ProfileSetText, ConfigNamingRules) {
  auto set = ProfileSet::from_text(
      "[default]\nregion = a\n"
      "[profile dev]\nregion = b\n"
      "[profile   spaced]\nregion = c\n"
      "[profile \"quoted name\"]\nregion = d\n"
      "[sso-session corp]\nsso_start_url = https://x.awsapps.com/start\n"
      "[services my-services]\nregion = e\n"
      "[profile two words]\nregion = f\n"
      "[plain]\nregion = g\n",
      "");
  EXPECT_EQ(value(set, "default", "region"), "a");
  EXPECT_EQ(value(set, "dev", "region"), "b");
  EXPECT_EQ(value(set, "spaced", "region"), "c");
  EXPECT_EQ(value(set, "quoted name", "region"), "d");
  // Other section kinds are kept apart, never profiles.
  EXPECT_EQ(set.find("sso-session corp"), nullptr);
  EXPECT_EQ(set.find("corp"), nullptr);
  EXPECT_EQ(set.find("my-services"), nullptr);
  EXPECT_EQ(set.find("plain"), nullptr);
  ASSERT_NE(set.find_section("sso-session corp"), nullptr);
  EXPECT_EQ(set.find_section("sso-session corp")->values.at("sso_start_url").value,
            "https://x.awsapps.com/start");
  // botocore skips "[profile a b]" (three words after shlex).
  EXPECT_EQ(set.find("two words"), nullptr);
  EXPECT_EQ(set.find_section("profile two words"), nullptr);
  EXPECT_EQ(set.names(), (std::vector<std::string>{"default", "dev", "quoted name", "spaced"}));
}

TEST(ProfileSetText, ProfileDefaultIsTheDefaultProfile) {
  auto set = ProfileSet::from_text("[profile default]\nregion = x\n", "");
  EXPECT_EQ(value(set, "default", "region"), "x");
}

TEST(ProfileSetText, CredentialsFileSectionsAreNamedAsWritten) {
  auto set = ProfileSet::from_text("", "[dev]\naws_access_key_id = AKIA1\n[profile ops]\nx = 1\n");
  EXPECT_EQ(value(set, "dev", "aws_access_key_id"), "AKIA1");
  EXPECT_TRUE(set.find("dev")->get("aws_access_key_id")->from_credentials_file);
  // In the credentials file "profile ops" is a literal name (botocore).
  EXPECT_EQ(set.find("ops"), nullptr);
  EXPECT_NE(set.find("profile ops"), nullptr);
}

TEST(ProfileSetText, CredentialsFileKeysOverrideConfigKeys) {
  auto set = ProfileSet::from_text(
      "[profile dev]\nregion = eu-west-1\naws_access_key_id = AKIACONFIG\n",
      "[dev]\naws_access_key_id = AKIACREDS\naws_secret_access_key = s\n", "cfgfile", "credfile");
  EXPECT_EQ(value(set, "dev", "aws_access_key_id"), "AKIACREDS");
  EXPECT_EQ(set.find("dev")->get("aws_access_key_id")->file, "credfile");
  EXPECT_EQ(value(set, "dev", "region"), "eu-west-1");  // merged per key
  EXPECT_FALSE(set.find("dev")->get("region")->from_credentials_file);
}

TEST(ProfileSetText, ErrorsNameTheRightFile) {
  try {
    ProfileSet::from_text("[default]\n", "[dev]\nbroken\n", "cfgfile", "credfile");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "credfile line 2: expected 'key = value' inside [dev]");
  }
}

class ProfileFiles : public ::testing::Test {
 protected:
  MapEnv env_;
  TempDir dir_;
};

TEST_F(ProfileFiles, ReadsBothFilesFromTheVariables) {
  env_.set("AWS_CONFIG_FILE", dir_.write("config", "[profile dev]\nregion = eu-west-3\n"));
  env_.set("AWS_SHARED_CREDENTIALS_FILE", dir_.write("creds", "[dev]\naws_access_key_id = AK\n"));
  auto set = ProfileSet::load(env_);
  EXPECT_EQ(value(set, "dev", "region"), "eu-west-3");
  EXPECT_EQ(value(set, "dev", "aws_access_key_id"), "AK");
}

TEST_F(ProfileFiles, DefaultsAndTildeUseHome) {
  env_.set("HOME", dir_.path());
  dir_.write(".aws/config", "[default]\nregion = ca-central-1\n");
  dir_.write("alt/credentials", "[default]\naws_access_key_id = AKHOME\n");
  env_.set("AWS_SHARED_CREDENTIALS_FILE", "~/alt/credentials");
  auto set = ProfileSet::load(env_);
  EXPECT_EQ(value(set, "default", "region"), "ca-central-1");
  EXPECT_EQ(value(set, "default", "aws_access_key_id"), "AKHOME");
  EXPECT_EQ(set.find("default")->get("region")->file, "~/.aws/config");
  EXPECT_EQ(aws::expand_home("~", env_), dir_.path());
  EXPECT_EQ(aws::expand_home("/abs/~/x", env_), "/abs/~/x");
}

TEST_F(ProfileFiles, MissingFilesAreFine) {
  env_.set("AWS_CONFIG_FILE", dir_.file("nope-config"));
  env_.set("AWS_SHARED_CREDENTIALS_FILE", dir_.file("nope-creds"));
  auto set = ProfileSet::load(env_);
  EXPECT_TRUE(set.names().empty());
  EXPECT_NE(set.files_description().find("nope-config (missing)"), std::string::npos);
  EXPECT_NE(set.files_description().find("nope-creds (missing)"), std::string::npos);
}

TEST_F(ProfileFiles, MalformedFileThrowsWithItsPath) {
  std::string path = dir_.write("config", "[default]\nregion = x\nbad line\n");
  env_.set("AWS_CONFIG_FILE", path);
  env_.set("AWS_SHARED_CREDENTIALS_FILE", dir_.file("none"));
  try {
    ProfileSet::load(env_);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), path + " line 3: expected 'key = value' inside [default]");
  }
}

TEST_F(ProfileFiles, UnreadableFileThrows) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads any file";
  std::string path = dir_.write("config", "[default]\n", 0000);
  env_.set("AWS_CONFIG_FILE", path);
  env_.set("AWS_SHARED_CREDENTIALS_FILE", dir_.file("none"));
  EXPECT_THROW(ProfileSet::load(env_), Error);
}

TEST_F(ProfileFiles, DirectoryInsteadOfFileThrows) {
  env_.set("AWS_CONFIG_FILE", dir_.path());
  env_.set("AWS_SHARED_CREDENTIALS_FILE", dir_.file("none"));
  EXPECT_THROW(ProfileSet::load(env_), Error);
}

TEST_F(ProfileFiles, SelectedProfileAndRegion) {
  env_.set("AWS_CONFIG_FILE",
           dir_.write("config",
                      "[default]\nregion = us-east-1\n[profile dev]\nregion = eu-west-1\n"
                      "[profile bare]\noutput = json\n"));
  env_.set("AWS_SHARED_CREDENTIALS_FILE", dir_.file("none"));
  EXPECT_EQ(aws::selected_profile_name(env_), "default");
  EXPECT_EQ(aws::region_from_profile(env_), "us-east-1");
  env_.set("AWS_DEFAULT_PROFILE", "dev");
  EXPECT_EQ(aws::selected_profile_name(env_), "dev");
  EXPECT_EQ(aws::region_from_profile(env_), "eu-west-1");
  env_.set("AWS_PROFILE", "bare");  // AWS_PROFILE wins over AWS_DEFAULT_PROFILE
  EXPECT_EQ(aws::selected_profile_name(env_), "bare");
  EXPECT_EQ(aws::region_from_profile(env_), std::nullopt);
  env_.set("AWS_PROFILE", "");  // empty counts as unset
  EXPECT_EQ(aws::selected_profile_name(env_), "dev");
  env_.set("AWS_PROFILE", "missing");
  EXPECT_EQ(aws::region_from_profile(env_), std::nullopt);
}

}  // namespace
}  // namespace ecrhelm::test
