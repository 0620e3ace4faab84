// Issue 18, scenario 5: registry faults during `ecrhelm pull`, injected by
// scripts/testbed/fault_proxy.py between ecrhelm and Debian's docker-registry:
// a truncated chart blob, a reset in the middle of it, a body that stalls
// after 10 bytes, a redirect loop, and 503 twice then success. A fault that
// does not clear ends in one clear line naming the reference, a non-zero exit
// code and nothing left in the destination folder; 503 then success is
// retried and pulls the chart. Each case prints its figures as one
// `RELIABILITY scenario=5 ...` line. The run's own timeout (run_program's
// 120 s) is the hang guard; nothing here asserts on time.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <iostream>

#include "support/fault_proxy.h"
#include "support/registry.h"
#include "support/testbed.h"
#include "util/fs.h"

namespace ecrhelm::test {
namespace {

using nlohmann::json;

struct Case {
  std::string name;
  json rule;  // "path" is filled in with the chart blob's
  bool recovers;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class PullFaultTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    // A chart of some size, so that half of it is a real truncation.
    std::string filler;
    for (int i = 0; i < 2000; ++i) filler += "line " + std::to_string(i) + " of filler\n";
    tgz_ = make_chart_tgz("demo", "1.0.0", {{"templates/notes.txt", filler}});
    pushed_ = push_chart(registry_.url(), "charts/demo", "1.0.0", tgz_);
  }
  std::string ref(const FaultProxy& proxy) const {
    return "oci://" + proxy.host() + "/charts/demo:1.0.0";
  }

  RegistryServer registry_;
  std::string tgz_;
  PushedArtifact pushed_;
};

// Every entry of the folder, recursively (a leftover .part or temp folder shows here).
std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> out;
  if (!std::filesystem::exists(dir)) return out;
  for (auto& p : std::filesystem::recursive_directory_iterator(dir))
    out.push_back(std::filesystem::relative(p.path(), dir).string());
  return out;
}

TEST_P(PullFaultTest, FaultEndsInOneClearLineOrARetryAndLeavesNothingPartial) {
  const Case& c = GetParam();
  json rule = c.rule;
  rule["name"] = c.name;
  rule["path"] = "/v2/charts/demo/blobs/" + pushed_.chart_digest;
  FaultProxy::Options opts;
  opts.schedule = {{"rules", json::array({rule})}};
  // Longer than ecrhelm's own bounds, so that a stall is ended by ecrhelm.
  opts.connection_deadline = 110;
  opts.idle_timeout = 110;
  FaultProxy proxy(registry_.port(), opts);
  TempDir home;
  const std::string dest = home.file("charts");
  std::filesystem::create_directories(dest);

  auto start = std::chrono::steady_clock::now();
  RunResult r = run_ecrhelm({"pull", ref(proxy), "--plain-http", "-d", dest},
                            {{"HOME", home.path()}, {"AWS_EC2_METADATA_DISABLED", "true"}});
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  int blob_calls = proxy.kind("GET blobs");
  int chart_calls = proxy.stats()["rules"][c.name].value("matched", 0);
  std::cout << "RELIABILITY scenario=5 case=" << c.name << " exit=" << r.exit_code
            << " calls=" << proxy.stats().value("requests", 0) << " blob_calls=" << blob_calls
            << " chart_blob_calls=" << chart_calls << " faults=" << proxy.applied(c.name)
            << " retries=" << (chart_calls > 0 ? chart_calls - 1 : 0) << " seconds=" << seconds
            << "\n";
  ASSERT_NE(r.exit_code, -1) << "pull did not end within run_program's bound";
  EXPECT_GE(proxy.applied(c.name), 1) << "the fault was never injected";

  if (c.recovers) {
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(read_file(dest + "/demo-1.0.0.tgz", "chart"), tgz_);
    EXPECT_EQ(entries(dest), std::vector<std::string>{"demo-1.0.0.tgz"});
    EXPECT_EQ(chart_calls, proxy.applied(c.name) + 1) << "one successful try after the faults";
    return;
  }
  EXPECT_NE(r.exit_code, 0);
  std::string err = r.err;
  while (!err.empty() && err.back() == '\n') err.pop_back();
  EXPECT_FALSE(err.empty());
  EXPECT_EQ(err.find('\n'), std::string::npos) << "not one line:\n" << r.err;
  EXPECT_NE(err.find(proxy.host() + "/charts/demo"), std::string::npos)
      << "the error does not name the reference: " << err;
  EXPECT_EQ(r.out.find("Pulled:"), std::string::npos) << r.out;
  EXPECT_TRUE(entries(dest).empty()) << "left in the destination: " << entries(dest).front();
  // Nothing beside the destination either (the temp file lives next to it).
  EXPECT_EQ(entries(home.path()), std::vector<std::string>{"charts"});
}

INSTANTIATE_TEST_SUITE_P(
    Scenario5, PullFaultTest,
    ::testing::Values(
        Case{"truncated-blob", {{"fault", "truncate"}}, false},
        Case{"reset-mid-stream", {{"fault", "reset_mid_body"}}, false},
        Case{"stalled-body", {{"fault", "stall"}, {"bytes", 10}}, false},
        Case{"redirect-loop", {{"fault", "redirect"}, {"status", 307}}, false},
        Case{"503-then-success", {{"fault", "status"}, {"status", 503}, {"first", 2}}, true}),
    [](const ::testing::TestParamInfo<Case>& p) {
      std::string n;
      for (char ch : p.param.name) n += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
      return n;
    });

}  // namespace
}  // namespace ecrhelm::test
