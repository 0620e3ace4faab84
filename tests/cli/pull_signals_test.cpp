// `ecrhelm pull` interrupted by SIGINT, SIGTERM or SIGHUP while the chart
// streams in (a registry that sends 10 bytes and stalls) leaves no .part file
// behind, into -d and into an --untardir (issue 18, defect 2).
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "support/registry.h"
#include "support/testbed.h"
#include "util/hasher.h"

namespace ecrhelm::test {
namespace {

using namespace std::chrono_literals;

class StallingRegistry {
 public:
  StallingRegistry() {
    config_ = R"({"name":"demo","version":"1.0.0","apiVersion":"v2"})";
    chart_ = make_chart_tgz("demo", "1.0.0");
    nlohmann::json m = {{"schemaVersion", 2},
                        {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                        {"config",
                         {{"mediaType", "application/vnd.cncf.helm.config.v1+json"},
                          {"digest", digest_of("sha256", config_)},
                          {"size", config_.size()}}},
                        {"layers",
                         {{{"mediaType", "application/vnd.cncf.helm.chart.content.v1.tar+gzip"},
                           {"digest", digest_of("sha256", chart_)},
                           {"size", chart_.size()}}}}};
    manifest_ = m.dump();
    server_.Get(R"(/v2/charts/demo/manifests/.*)",
                [this](const httplib::Request&, httplib::Response& res) {
                  res.set_content(manifest_, "application/vnd.oci.image.manifest.v1+json");
                });
    server_.Get(R"(/v2/charts/demo/blobs/(.*))",
                [this](const httplib::Request& req, httplib::Response& res) {
                  if (req.matches[1].str() == digest_of("sha256", config_))
                    return res.set_content(config_, "application/json");
                  res.set_chunked_content_provider(
                      "application/octet-stream", [this](size_t, httplib::DataSink& sink) {
                        sink.write(chart_.data(), 10);
                        std::unique_lock l(mu_);
                        cv_.wait_for(l, 60s, [this] { return released_; });
                        return false;
                      });
                });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 1000 && !server_.is_running(); ++i) std::this_thread::sleep_for(10ms);
  }
  ~StallingRegistry() {
    {
      std::lock_guard l(mu_);
      released_ = true;
    }
    cv_.notify_all();
    server_.stop();
    thread_.join();
  }
  std::string ref() const {
    return "oci://127.0.0.1:" + std::to_string(port_) + "/charts/demo:1.0.0";
  }

 private:
  std::string config_, chart_, manifest_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
};

bool has_part_file(const std::string& dir) {
  if (!std::filesystem::exists(dir)) return false;
  for (auto& p : std::filesystem::recursive_directory_iterator(dir))
    if (p.path().filename().string().find(".part") != std::string::npos) return true;
  return false;
}

struct Case {
  int sig;
  bool untar;
};

class PullSignalTest : public ::testing::TestWithParam<Case> {};

TEST_P(PullSignalTest, SignalDuringTheDownloadLeavesNoPartFile) {
  StallingRegistry registry;
  TempDir home;
  std::string dest = home.file("out");
  std::vector<std::string> argv = {ECRHELM_BINARY, "pull", registry.ref(),
                                   "--plain-http", "-d",   dest};
  if (GetParam().untar) {
    argv.push_back("--untar");
    argv.push_back("--untardir");
    argv.push_back("charts");
  }
  ChildProcess pull(argv, {{"HOME", home.path()}, {"AWS_EC2_METADATA_DISABLED", "true"}},
                    home.file("pull.log"));
  // Watchdogs, not timing assertions.
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!has_part_file(dest) && pull.running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(has_part_file(dest)) << "the download never started";
  ASSERT_EQ(::kill(pull.pid(), GetParam().sig), 0);
  deadline = std::chrono::steady_clock::now() + 30s;
  while (pull.running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  ASSERT_FALSE(pull.running()) << "pull did not stop on the signal";
  EXPECT_FALSE(has_part_file(dest)) << "the signal left a .part file";
}

INSTANTIATE_TEST_SUITE_P(Signals, PullSignalTest,
                         ::testing::Values(Case{SIGINT, false}, Case{SIGTERM, false},
                                           Case{SIGHUP, false}, Case{SIGTERM, true}));

}  // namespace
}  // namespace ecrhelm::test
