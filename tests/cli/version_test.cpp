// `ecrhelm version`: the version is the one `--version` prints, the commit is
// the checkout's HEAD (or "unknown" outside git), the library versions are
// the linked libraries' own, and -o json/yaml/text say the same thing. The
// generator of the build-info file says "unknown" outside a checkout and
// leaves the file untouched when nothing changed (no needless rebuild).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <utime.h>
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include "http/versions.h"
#include "support/testbed.h"
#include "util/fs.h"
#include "util/versions.h"

namespace ecrhelm::test {
namespace {

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::map<std::string, std::string> env_for(const TempDir& home) { return {{"HOME", home.path()}}; }

nlohmann::json version_json(const TempDir& home) {
  auto r = run_ecrhelm({"version", "-o", "json"}, env_for(home));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  return nlohmann::json::parse(r.out);
}

TEST(Version, JsonMatchesVersionFlagTheCheckoutAndTheLinkedLibraries) {
  TempDir home;
  auto flag = run_ecrhelm({"--version"}, env_for(home));
  ASSERT_EQ(flag.exit_code, 0) << flag.err;
  std::string line = trimmed(flag.out);
  ASSERT_TRUE(line.starts_with("ecrhelm ")) << line;
  auto j = version_json(home);
  EXPECT_EQ(j.at("version"), line.substr(8));

  auto git = run_program({"git", "-C", ECRHELM_SOURCE_DIR, "rev-parse", "HEAD"}, {});
  if (git.exit_code == 0) {
    EXPECT_EQ(j.at("gitCommit"), trimmed(git.out));
    EXPECT_TRUE(j.at("gitTreeState") == "clean" || j.at("gitTreeState") == "dirty")
        << j.at("gitTreeState");
  } else {
    EXPECT_EQ(j.at("gitCommit"), "unknown");
  }
  EXPECT_FALSE(j.at("buildType").get<std::string>().empty());
  std::string compiler = j.at("compiler");
  EXPECT_TRUE(compiler.starts_with("GCC ") || compiler.starts_with("clang ")) << compiler;

  const auto& libs = j.at("libraries");
  auto curl_config = run_program({"curl-config", "--version"}, {});
  if (curl_config.exit_code == 0) {  // "libcurl 7.88.1"
    EXPECT_EQ("libcurl " + libs.at("libcurl").get<std::string>(), trimmed(curl_config.out));
  }
  EXPECT_EQ(libs.at("libcurl"), http::libcurl_versions().libcurl);
  EXPECT_EQ(libs.at("openssl"), openssl_version());
  EXPECT_TRUE(libs.at("nlohmann_json").get<std::string>().starts_with("3.")) << libs;
  if (!http::libcurl_versions().zlib.empty()) {
    EXPECT_EQ(libs.at("zlib"), http::libcurl_versions().zlib);
  }
}

TEST(Version, YamlAndTextSayWhatJsonSays) {
  TempDir home;
  auto j = version_json(home);
  auto y = run_ecrhelm({"version", "-o", "yaml"}, env_for(home));
  ASSERT_EQ(y.exit_code, 0) << y.err;
  YAML::Node doc = YAML::Load(y.out);
  for (const char* key : {"version", "gitCommit", "gitTreeState", "buildType", "compiler"})
    EXPECT_EQ(doc[key].as<std::string>(), j.at(key).get<std::string>()) << key;
  for (const auto& [name, v] : j.at("libraries").items())
    EXPECT_EQ(doc["libraries"][name].as<std::string>(), v.get<std::string>()) << name;

  auto t = run_ecrhelm({"version"}, env_for(home));
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_TRUE(t.out.starts_with("ecrhelm " + j.at("version").get<std::string>() + "\n")) << t.out;
  EXPECT_NE(t.out.find(j.at("gitCommit").get<std::string>()), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("libcurl:"), std::string::npos) << t.out;
}

TEST(Version, BadOutputFormatIsOneLineNamingTheFlag) {
  TempDir home;
  auto r = run_ecrhelm({"version", "-o", "xml"}, env_for(home));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  std::string err = trimmed(r.err);
  EXPECT_EQ(err.find('\n'), std::string::npos) << err;
  EXPECT_NE(err.find("-o"), std::string::npos) << err;
  EXPECT_NE(err.find("'xml'"), std::string::npos) << err;
}

// cmake/build_info.cmake as the build runs it, on a folder that is not a checkout.
RunResult write_build_info(const std::string& source_dir, const std::string& out,
                           const std::string& build_type) {
  return run_program(
      {"cmake", "-DSOURCE_DIR=" + source_dir, "-DOUTPUT=" + out, "-DBUILD_TYPE=" + build_type, "-P",
       std::string(ECRHELM_SOURCE_DIR) + "/cmake/build_info.cmake"},
      {});
}

int64_t mtime_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return int64_t(st.st_mtime);
}

TEST(Version, BuildInfoIsUnknownOutsideGitAndRewrittenOnlyWhenItChanges) {
  TempDir tarball, out;
  tarball.write("CMakeLists.txt", "# an unpacked release tarball\n");
  std::string file = out.file("build_info.cpp");
  auto r = write_build_info(tarball.path(), file, "Release");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string text = read_file(file, "build info");
  EXPECT_NE(text.find(R"({"unknown", "unknown", "Release"})"), std::string::npos) << text;

  // Unchanged: not rewritten (an old mtime survives), so nothing recompiles.
  struct utimbuf old_times {
    946684800, 946684800
  };  // 2000-01-01
  ASSERT_EQ(::utime(file.c_str(), &old_times), 0);
  ASSERT_EQ(write_build_info(tarball.path(), file, "Release").exit_code, 0);
  EXPECT_EQ(mtime_of(file), 946684800);
  ASSERT_EQ(write_build_info(tarball.path(), file, "Debug").exit_code, 0);
  EXPECT_NE(mtime_of(file), 946684800);
  EXPECT_NE(read_file(file, "build info").find(R"("Debug"})"), std::string::npos);

  auto bad = write_build_info(tarball.path(), file, "Rel\"ease");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("not a CMake build type name"), std::string::npos) << bad.err;

  auto git = run_program({"git", "-C", ECRHELM_SOURCE_DIR, "rev-parse", "HEAD"}, {});
  if (git.exit_code == 0) {
    ASSERT_EQ(write_build_info(ECRHELM_SOURCE_DIR, file, "Release").exit_code, 0);
    EXPECT_NE(read_file(file, "build info").find("\"" + trimmed(git.out) + "\""),
              std::string::npos);
  }
}

}  // namespace
}  // namespace ecrhelm::test
