// `ecrhelm version`: what this binary is, for bug reports and fleet
// inventories: the version, the git commit and build type it was built from,
// the compiler, and the libraries it runs on (kubectl/helm `version -o json`
// key style). `ecrhelm --version` keeps its one line, `ecrhelm X.Y.Z`.
#include <fmt/core.h>
#include <spdlog/version.h>
#include <nlohmann/json.hpp>

#include <iostream>
#include <string>

#include "cli/build_info.h"
#include "cli/help.h"
#include "http/versions.h"
#include "oci/versions.h"
#include "util/versions.h"
#include "util/yaml_output.h"

#ifndef ECRHELM_VERSION
#define ECRHELM_VERSION "0.0.0"
#endif

namespace ecrhelm::cli {
namespace {

// The compiler that built this file (and, with the same flags, the rest).
std::string compiler() {
#if defined(__clang__)
  return fmt::format("clang {}.{}.{}", __clang_major__, __clang_minor__, __clang_patchlevel__);
#elif defined(__GNUC__)
  return fmt::format("GCC {}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#else
  return "unknown";
#endif
}

nlohmann::ordered_json version_document() {
  const BuildInfo& b = build_info();
  http::LibcurlVersions curl = http::libcurl_versions();
  nlohmann::ordered_json libs;
  libs["libcurl"] = curl.libcurl;
  if (!curl.tls.empty()) libs["libcurlTls"] = curl.tls;
  libs["openssl"] = openssl_version();
  if (!curl.zlib.empty()) libs["zlib"] = curl.zlib;
  libs["libarchive"] = oci::libarchive_version();
  libs["nlohmann_json"] = fmt::format("{}.{}.{}", NLOHMANN_JSON_VERSION_MAJOR,
                                      NLOHMANN_JSON_VERSION_MINOR, NLOHMANN_JSON_VERSION_PATCH);
  libs["spdlog"] = fmt::format("{}.{}.{}", SPDLOG_VER_MAJOR, SPDLOG_VER_MINOR, SPDLOG_VER_PATCH);
  libs["fmt"] =
      fmt::format("{}.{}.{}", FMT_VERSION / 10000, FMT_VERSION / 100 % 100, FMT_VERSION % 100);
  nlohmann::ordered_json doc;
  doc["version"] = ECRHELM_VERSION;
  doc["gitCommit"] = b.git_commit;
  doc["gitTreeState"] = b.git_tree_state;
  doc["buildType"] = b.build_type;
  doc["compiler"] = compiler();
  doc["libraries"] = std::move(libs);
  return doc;
}

std::string as_text(const nlohmann::ordered_json& doc) {
  std::string out = fmt::format("ecrhelm {}\n", doc["version"].get<std::string>());
  std::string commit = doc["gitCommit"];
  if (doc["gitTreeState"] != "unknown")
    commit += " (" + doc["gitTreeState"].get<std::string>() + ")";
  out += fmt::format("  {:<13} {}\n", "git commit:", commit);
  out += fmt::format("  {:<13} {}\n", "build type:", doc["buildType"].get<std::string>());
  out += fmt::format("  {:<13} {}\n", "compiler:", doc["compiler"].get<std::string>());
  out += "  libraries:\n";
  for (const auto& [name, v] : doc["libraries"].items())
    out += fmt::format("    {:<15} {}\n", name + ":", v.get<std::string>());
  return out;
}

}  // namespace

Command add_version(CLI::App& app) {
  auto output = std::make_shared<std::string>("text");
  auto* sub = app.add_subcommand(
      "version", "print the version, git commit, build type, compiler and library versions");
  sub->add_option("-o,--output", *output, "text, json or yaml")
      ->check(output_formats({"text", "json", "yaml"}));
  set_examples(sub, {{"ecrhelm version", ""},
                     {"ecrhelm version -o json", "for a bug report"},
                     {"ecrhelm version -o json | jq -r .gitCommit", "the commit it was built from"},
                     {"ecrhelm version -o yaml", ""}});
  return {sub, [output]() {
            auto doc = version_document();
            if (*output == "json") {
              std::cout << doc.dump(2) << "\n";
            } else if (*output == "yaml") {
              std::cout << to_yaml(doc);
            } else {
              std::cout << as_text(doc);
            }
            return 0;
          }};
}

}  // namespace ecrhelm::cli
