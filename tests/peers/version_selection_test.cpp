// Differential test of version selection: for each tag set and each of a
// corpus of constraints, the tag `ecrhelm pull --version C` picks is the tag
// `helm pull --version C` picks, for Helm 3 and Helm 4 (or all three refuse),
// and the tag Argo CD v3.5.1's repo server resolves the targetRevision C to
// (its own util/versions code, through the argocd-versions peer). One tiny
// chart is pushed once per repository and tagged many times in the registry's
// storage (Helm does not compare the chart's version with the tag).
//
// Where Argo CD differs from Helm: Argo CD's repo server lists tags itself and
// parses them with Masterminds' loose NewVersion, so it accepts `v1.2.3` and
// `01.2.3` tags; Helm's registry client keeps only tags that StrictNewVersion
// accepts. ecrhelm follows Argo CD there. Every case where ecrhelm differs
// from one of them is listed below with its reason; all other cases agree
// with all three.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "support/peers.h"
#include "support/registry.h"
#include "support/testbed.h"
#include "util/fs.h"

namespace ecrhelm::test {
namespace {

struct TagSet {
  const char* repo;
  std::vector<std::string> tags;
};

const std::vector<TagSet>& tag_sets() {
  static const std::vector<TagSet> sets = {
      {"releases",
       {"0.1.0", "1.0.0", "1.0.1", "1.1.0", "1.2.0", "1.2.3", "1.10.0", "2.0.0", "2.1.0", "3.0.0"}},
      {"prereleases",
       {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta", "1.0.0-rc.1", "1.0.0", "1.1.0-rc.1",
        "2.0.0-0", "2.0.0-rc.2"}},
      {"buildmeta", {"1.0.0_build.1", "1.1.0_abc", "1.2.0", "2.0.0-rc.1_b7", "0.9.0_x-y"}},
      {"vprefix", {"v1.0.0", "v1.1.0", "1.2.0", "v2.0.0-rc.1", "v2.0.0", "0.5.0"}},
      {"nonsemver",
       {"latest", "stable", "1.0", "1", "main-abc123", "1.0.0", "1.2.0", "sha-deadbeef", "01.2.3",
        "1.3.0", "1.2.3.4"}},
  };
  return sets;
}

const std::vector<std::string>& constraints() {
  static const std::vector<std::string> cs = {"",
                                              "*",
                                              "1.0.0",
                                              "1.2.3",
                                              "1.2",
                                              "1",
                                              "v1.0.0",
                                              "v1.1.0",
                                              ">=1.0.0",
                                              ">1.0.0",
                                              "<2.0.0",
                                              "<=1.2.0",
                                              ">=1.0.0 <2.0.0",
                                              ">=1, <2",
                                              "^1.0",
                                              "^1.2.0",
                                              "^0.1",
                                              "^2",
                                              "~1.2",
                                              "~1.2.0",
                                              "~1",
                                              "1.x",
                                              "1.2.x",
                                              "2.x",
                                              "*-0",
                                              ">=1.0.0-0",
                                              ">=1.0.0-alpha",
                                              "^1.0.0-0",
                                              "~1.0.0-rc.1",
                                              "1.0.0 - 2.0.0",
                                              "1.0 - 1.2",
                                              "!=1.2.0",
                                              ">0.1.0 !=1.10.0",
                                              "^1.0 || ^3.0",
                                              "1.2.x || 2.x",
                                              ">= 1.1",
                                              "=1.1.0",
                                              "1.0.0+build.1",
                                              "1.0.0_build.1",
                                              ">=2.0.0-rc.1",
                                              "<1.0.0-rc.1",
                                              ">=3",
                                              "^4",
                                              "latest",
                                              "1.0.0-beta",
                                              ">1.0.0-alpha <1.0.0",
                                              "=>1.0",
                                              "not a constraint",
                                              "~0.9",
                                              "^v1",
                                              ">v1.0.0"};
  return cs;
}

// Why ecrhelm picks another tag than Helm 3.22.0 and 4.3.1 (which agree with
// each other on every case): Argo CD's rule, kept on purpose. Argo CD lists
// the tags itself and parses them with Masterminds' loose NewVersion
// (util/versions MaxVersion, which hands the winning tag's Original() to
// `helm pull --version`), so `v2.0.0` and `01.2.3` are versions to it; Helm's
// registry client keeps only the tags StrictNewVersion accepts. A --version
// the loose parse accepts (`1`, `1.2`) is an exact tag to all three (Helm's
// getOciURI, Argo CD's IsVersion): that very tag or an error, no listing.
constexpr const char* kVPrefix = "v-prefixed tags are versions to Argo CD, not to Helm";
constexpr const char* kLeadingZero = "the tag 01.2.3 is a version to Argo CD, not to Helm";
// Why ecrhelm picks another tag than Argo CD: Helm's rule, kept on purpose.
// No --version means the highest release to Helm and ecrhelm; an empty
// targetRevision is refused by Argo CD's MaxVersion. A --version that is
// neither a version nor a constraint (`latest`) is, to Argo CD, a tag matched
// by string equality; Helm and ecrhelm refuse it (pull the tag with `:latest`
// in the reference instead).
constexpr const char* kEmpty = "no --version: Helm's latest release; Argo CD refuses ''";
constexpr const char* kNotConstraint = "Argo CD matches a non-constraint by string equality";

using CaseKey = std::pair<std::string, std::string>;  // {repo, constraint}

// Cases where ecrhelm follows Argo CD against Helm. Everything not listed must
// agree with Helm exactly; a listed case that starts agreeing fails too, so
// this list stays true.
const std::map<CaseKey, std::string>& argocd_not_helm() {
  static const std::map<CaseKey, std::string> m = {
      {{"vprefix", ""}, kVPrefix},                    // ecrhelm v2.0.0, helm 1.2.0
      {{"vprefix", "*"}, kVPrefix},                   // ecrhelm v2.0.0, helm 1.2.0
      {{"vprefix", ">=1.0.0"}, kVPrefix},             // ecrhelm v2.0.0, helm 1.2.0
      {{"vprefix", ">1.0.0"}, kVPrefix},              // ecrhelm v2.0.0, helm 1.2.0
      {{"vprefix", "^2"}, kVPrefix},                  // ecrhelm v2.0.0, helm error
      {{"vprefix", "2.x"}, kVPrefix},                 // ecrhelm v2.0.0, helm error
      {{"vprefix", "*-0"}, kVPrefix},                 // ecrhelm v2.0.0, helm 1.2.0
      {{"vprefix", ">=1.0.0-0"}, kVPrefix},           // ecrhelm v2.0.0, helm 1.2.0
      {{"vprefix", ">=1.0.0-alpha"}, kVPrefix},       // ecrhelm v2.0.0, helm 1.2.0
      {{"vprefix", "~1.0.0-rc.1"}, kVPrefix},         // ecrhelm v1.0.0, helm error
      {{"vprefix", "1.0.0 - 2.0.0"}, kVPrefix},       // ecrhelm v2.0.0, helm 1.2.0
      {{"vprefix", "!=1.2.0"}, kVPrefix},             // ecrhelm v2.0.0, helm 0.5.0
      {{"vprefix", ">0.1.0 !=1.10.0"}, kVPrefix},     // ecrhelm v2.0.0, helm 1.2.0
      {{"vprefix", "1.2.x || 2.x"}, kVPrefix},        // ecrhelm v2.0.0, helm 1.2.0
      {{"vprefix", ">= 1.1"}, kVPrefix},              // ecrhelm v2.0.0, helm 1.2.0
      {{"vprefix", "=1.1.0"}, kVPrefix},              // ecrhelm v1.1.0, helm error
      {{"vprefix", ">=2.0.0-rc.1"}, kVPrefix},        // ecrhelm v2.0.0, helm error
      {{"vprefix", "=>1.0"}, kVPrefix},               // ecrhelm v2.0.0, helm 1.2.0
      {{"vprefix", ">v1.0.0"}, kVPrefix},             // ecrhelm v2.0.0, helm 1.2.0
      {{"nonsemver", "~1.2"}, kLeadingZero},          // ecrhelm 01.2.3, helm 1.2.0
      {{"nonsemver", "~1.2.0"}, kLeadingZero},        // ecrhelm 01.2.3, helm 1.2.0
      {{"nonsemver", "1.2.x"}, kLeadingZero},         // ecrhelm 01.2.3, helm 1.2.0
      {{"nonsemver", "1.0 - 1.2"}, kLeadingZero},     // ecrhelm 01.2.3, helm 1.2.0
      {{"nonsemver", "1.2.x || 2.x"}, kLeadingZero},  // ecrhelm 01.2.3, helm 1.2.0
  };
  return m;
}

// Cases where ecrhelm follows Helm against Argo CD; the same rules apply.
const std::map<CaseKey, std::string>& helm_not_argocd() {
  static const std::map<CaseKey, std::string> m = {
      {{"releases", ""}, kEmpty},                 // ecrhelm 3.0.0, argocd error
      {{"prereleases", ""}, kEmpty},              // ecrhelm 1.0.0, argocd error
      {{"buildmeta", ""}, kEmpty},                // ecrhelm 1.2.0, argocd error
      {{"vprefix", ""}, kEmpty},                  // ecrhelm v2.0.0, argocd error
      {{"nonsemver", ""}, kEmpty},                // ecrhelm 1.3.0, argocd error
      {{"nonsemver", "latest"}, kNotConstraint},  // ecrhelm error, argocd latest
  };
  return m;
}

// "Pulled: HOST/REPO:TAG" -> TAG with `_` read as `+`; "error" when refused.
std::string outcome(const RunResult& r) {
  if (r.exit_code != 0) return "error";
  std::string all = r.out + r.err;
  auto p = all.find("Pulled: ");
  if (p == std::string::npos) return "no Pulled line: " + all;
  std::string line = all.substr(p, all.find('\n', p) - p);
  std::string tag = line.substr(line.rfind(':') + 1);
  for (char& c : tag)
    if (c == '_') c = '+';
  return tag;
}

// What Argo CD's repo server ends up pulling for targetRevision C: the tag its
// MaxVersion resolves C to, which it then hands to `helm pull --version`; so
// "error" when it refuses C or the resolved tag (an exact pin) does not exist.
std::string argocd_outcome(const std::string& argocd_versions, const std::string& constraint,
                           const std::vector<std::string>& tags) {
  std::vector<std::string> argv = {argocd_versions, constraint};
  argv.insert(argv.end(), tags.begin(), tags.end());
  auto r = run_program(argv, {});
  if (r.exit_code != 0) return "argocd-versions failed: " + r.err;
  std::string pick = r.out.substr(0, r.out.find('\n'));
  if (pick.rfind("error", 0) == 0) return "error";
  for (std::string t : tags) {
    for (char& c : t)
      if (c == '_') c = '+';
    if (t == pick) return pick;
  }
  return "error";
}

TEST(VersionSelection, EcrhelmPicksTheTagHelm3Helm4AndArgoCdPick) {
  std::string helm3 = peer_binary("helm3"), helm4 = peer_binary("helm4");
  std::string argocd = peer_binary("argocd-versions");
  RegistryServer registry;
  TempDir registry_home;
  std::string tgz = make_chart_tgz("demo", "0.0.0");
  for (const auto& set : tag_sets()) {
    std::string repo = std::string("charts/") + set.repo + "/demo";
    auto pushed = push_chart(registry.url(), repo, "0.0.0", tgz);
    registry.add_tags_in_storage(repo, pushed.manifest_digest, set.tags);
    // The push's own tag (0.0.0) is not part of the set: drop it from storage.
    std::string blob = registry.blob_path(pushed.manifest_digest);
    std::string root = blob.substr(0, blob.find("/docker/registry/v2/"));
    std::filesystem::remove_all(root + "/docker/registry/v2/repositories/" + repo +
                                "/_manifests/tags/0.0.0");
    auto listed =
        run_ecrhelm({"tags", "oci://" + registry.host() + "/" + repo, "--plain-http", "-o", "json"},
                    {{"HOME", registry_home.path()}});
    ASSERT_EQ(listed.exit_code, 0) << listed.err;
    auto j = nlohmann::json::parse(listed.out);
    std::set<std::string> got, want(set.tags.begin(), set.tags.end());
    for (const auto& t : j) got.insert(t.is_string() ? t.get<std::string>() : t.dump());
    ASSERT_EQ(got.size(), want.size()) << listed.out;
  }

  // Argo CD resolves over the tags in the order the registry lists them (the
  // first of equal versions wins, as `1` and `1.0.0` are).
  std::map<std::string, std::vector<std::string>> listed_order;
  httplib::Client http("127.0.0.1",
                       std::stoi(registry.host().substr(registry.host().rfind(':') + 1)));
  for (const auto& set : tag_sets()) {
    auto res = http.Get("/v2/charts/" + std::string(set.repo) + "/demo/tags/list");
    ASSERT_TRUE(res && res->status == 200) << set.repo;
    auto listed = nlohmann::json::parse(res->body);
    for (const auto& t : listed.at("tags")) listed_order[set.repo].push_back(t.get<std::string>());
    ASSERT_EQ(listed_order[set.repo].size(), set.tags.size()) << res->body;
  }

  struct Case {
    std::string repo, constraint, ecrhelm, helm3, helm4, argocd;
    const std::vector<std::string>* tags;
  };
  std::vector<Case> cases;
  for (const auto& set : tag_sets())
    for (const auto& c : constraints())
      cases.push_back({set.repo, c, "", "", "", "", &listed_order[set.repo]});
  ASSERT_GE(cases.size(), 200u);

  TempDir home;
  std::atomic<size_t> next{0};
  auto worker = [&](int id) {
    for (size_t i; (i = next++) < cases.size();) {
      Case& k = cases[i];
      std::string ref = "oci://" + registry.host() + "/charts/" + k.repo + "/demo";
      std::string out = home.file("w" + std::to_string(id) + "-" + std::to_string(i));
      std::map<std::string, std::string> env = {{"HOME", home.path()},
                                                {"HELM_REGISTRY_CONFIG", home.file("none.json")}};
      auto args = [&](const std::string& bin) {
        std::vector<std::string> a = {bin, "pull", ref, "--plain-http", "-d", out};
        if (!k.constraint.empty()) {
          a.push_back("--version");
          a.push_back(k.constraint);
        }
        return a;
      };
      k.ecrhelm = outcome(run_program(args(ECRHELM_BINARY), env));
      k.helm3 = outcome(run_program(args(helm3), env));
      k.helm4 = outcome(run_program(args(helm4), env));
      k.argocd = argocd_outcome(argocd, k.constraint, *k.tags);
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back(worker, t);
  for (auto& t : threads) t.join();

  // A listed case must differ from the peer it is listed against (so the list
  // stays true) and agree with the other one; any other case agrees with all.
  auto check = [](const Case& k, const std::string& peer, const std::string& peer_pick,
                  const std::map<CaseKey, std::string>& listed) {
    auto known = listed.find({k.repo, k.constraint});
    if (known == listed.end()) {
      EXPECT_EQ(k.ecrhelm, peer_pick)
          << "ecrhelm " << k.ecrhelm << ", " << peer << " " << peer_pick;
      return k.ecrhelm == peer_pick;
    }
    EXPECT_NE(k.ecrhelm, peer_pick)
        << "listed as differing from " << peer << " but agrees: " << known->second;
    return false;
  };
  int with_helm = 0, with_argocd = 0, with_all = 0;
  for (const auto& k : cases) {
    SCOPED_TRACE(std::string(k.repo) + " --version '" + k.constraint + "'");
    EXPECT_EQ(k.helm3, k.helm4) << "Helm 3 and Helm 4 disagree";
    bool h = check(k, "helm", k.helm3, argocd_not_helm());
    bool a = check(k, "argocd", k.argocd, helm_not_argocd());
    with_helm += h;
    with_argocd += a;
    with_all += h && a;
  }
  std::cerr << "version selection over " << cases.size()
            << " cases: ecrhelm agrees with Helm 3 and "
            << "4 on " << with_helm << ", with Argo CD v3.5.1 on " << with_argocd
            << ", with all three on " << with_all
            << " (the rest listed with their reasons: " << argocd_not_helm().size()
            << " Argo CD's rule, " << helm_not_argocd().size() << " Helm's)\n";
}

}  // namespace
}  // namespace ecrhelm::test
