// The Docker/Helm registry config writer under hostile and concurrent use
// (issue 18, defects 3, 4, 9 and 11's number rule): nesting limited at parse
// time, concurrent writers serialized by a lock, symlinks followed as Docker
// follows them, and numbers in other keys written back as they were read.
#include "oci/registry_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "support/testbed.h"
#include "util/encoding.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/secret.h"

namespace ecrhelm::oci {
namespace {

using ::testing::HasSubstr;

std::string nested(size_t depth) {
  return "{\"deep\":" + std::string(depth, '[') + std::string(depth, ']') + "}";
}

TEST(RegistryConfig, DeeplyNestedFileIsRefusedNamingItAndLeftUnchanged) {
  test::TempDir dir;
  std::string text = nested(100000);
  std::string path = dir.write("config.json", text);
  try {
    store_basic_auth(path, "registry.example", "AWS", Secret("pw"));
    FAIL() << "a config nested 100,000 levels deep was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);  // exit 2
    EXPECT_THAT(e.what(), HasSubstr(path));
    EXPECT_THAT(e.what(), HasSubstr("deeper than"));
  }
  EXPECT_EQ(read_file(path, "config"), text);
  EXPECT_THROW(read_registry_config(path), Error);
  // Nesting up to the limit is still a config.
  dir.write("ok.json", nested(kMaxRegistryConfigDepth - 1));
  EXPECT_NO_THROW(store_basic_auth(dir.file("ok.json"), "r", "AWS", Secret("pw")));
}

TEST(RegistryConfig, NumbersInOtherKeysKeepTheirText) {
  test::TempDir dir;
  std::string path =
      dir.write("config.json",
                R"({"big": 12345678901234567890123, "f": 1.10, "e": 1E+2, "small": 42, "neg": -7,)"
                R"( "nested": {"list": [3.14159265358979323846, 0.1]}})");
  store_basic_auth(path, "registry.example", "AWS", Secret("pw"));
  std::string out = read_file(path, "config");
  for (const char* kept :
       {"12345678901234567890123", "1.10", "1E+2", "42", "-7", "3.14159265358979323846", "0.1"})
    EXPECT_THAT(out, HasSubstr(kept));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("ecrhelm-raw-number")));
  auto j = nlohmann::json::parse(out);  // still JSON
  EXPECT_TRUE(j["auths"].contains("registry.example"));
  EXPECT_TRUE(j["big"].is_number());
  // A string that mimics the internal marker is refused, not rewritten.
  dir.write("mark.json", "{\"x\": \"\\u0001ecrhelm-raw-number:1\"}");
  EXPECT_THROW(store_basic_auth(dir.file("mark.json"), "r", "AWS", Secret("pw")), Error);
}

TEST(RegistryConfig, ConcurrentWritersAllLand) {
  constexpr int kWriters = 10;
  for (int round = 0; round < 5; ++round) {
    test::TempDir dir;
    std::string path = dir.file("config.json");
    std::vector<std::thread> writers;
    for (int i = 0; i < kWriters; ++i) {
      writers.emplace_back([&, i] {
        store_basic_auth(path, "host" + std::to_string(i) + ".example", "AWS", Secret("pw"));
      });
    }
    for (auto& t : writers) t.join();
    auto j = read_registry_config(path);
    EXPECT_EQ(j["auths"].size(), size_t(kWriters)) << j.dump();
  }
}

TEST(RegistryConfig, SymlinkedFileWritesItsTargetAndKeepsTheLink) {
  test::TempDir dir;
  std::string target = dir.write("dotfiles/docker.json", R"({"credsStore": "desktop"})", 0600);
  std::filesystem::create_directories(dir.file("home/.docker"));
  std::string link = dir.file("home/.docker/config.json");
  ASSERT_EQ(::symlink("../../dotfiles/docker.json", link.c_str()), 0);
  store_basic_auth(link, "registry.example", "AWS", Secret("pw"));
  struct stat st {};
  ASSERT_EQ(::lstat(link.c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode)) << "the link was replaced by a regular file";
  auto j = read_registry_config(target);
  EXPECT_EQ(j["credsStore"], "desktop");
  EXPECT_TRUE(j["auths"].contains("registry.example"));
  ASSERT_EQ(::stat(target.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // A dangling link: its target is created.
  std::string dangling = dir.file("home/dangling.json");
  ASSERT_EQ(::symlink("new/target.json", dangling.c_str()), 0);
  store_cred_helper(dangling, "registry.example", "ecrhelm");
  EXPECT_TRUE(read_registry_config(dir.file("home/new/target.json"))["credHelpers"].contains(
      "registry.example"));
}

TEST(RegistryConfig, ACredentialHelperReplacesTheHostsStalePasswordOnly) {
  test::TempDir dir;
  std::string cfg = dir.file("config.json");
  store_basic_auth(cfg, "a.example", "AWS", Secret("stale-password-a"));
  store_basic_auth(cfg, "b.example", "AWS", Secret("password-b"));
  store_cred_helper(cfg, "a.example", "ecrhelm");
  auto j = read_registry_config(cfg);
  EXPECT_EQ(j["credHelpers"]["a.example"], "ecrhelm");
  EXPECT_FALSE(j["auths"].contains("a.example")) << j.dump();
  EXPECT_TRUE(j["auths"].contains("b.example")) << "other hosts keep theirs";
  EXPECT_EQ(read_file(cfg, "cfg").find(base64_encode("AWS:stale-password-a")), std::string::npos);
}

}  // namespace
}  // namespace ecrhelm::oci
