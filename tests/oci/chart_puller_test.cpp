// ChartPuller and RegistryClient against a hostile registry played by a local
// httplib server: a manifest that declares a chart layer far over the chart
// limit, a blob that stalls after its first bytes, and references that would
// write the same file (issue 18, defects 1 and 6).
#include "oci/chart_puller.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "http/client.h"
#include "oci/reference.h"
#include "support/registry.h"
#include "support/testbed.h"
#include "util/error.h"
#include "util/hasher.h"
#include "util/time.h"

namespace ecrhelm::oci {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

class Anonymous final : public RegistryCredentials {
 public:
  std::optional<BasicCredentials> get(const std::string&) override { return std::nullopt; }
  std::optional<BasicCredentials> refresh(const std::string&) override { return std::nullopt; }
  std::string source(const std::string&) override { return "anonymous"; }
};

struct Artifact {
  std::string config, chart, manifest;
  int64_t declared_chart_size = -1;  // -1: the chart's real size
};

std::string manifest_for(const Artifact& a) {
  nlohmann::json m = {
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
      {"config",
       {{"mediaType", "application/vnd.cncf.helm.config.v1+json"},
        {"digest", digest_of("sha256", a.config)},
        {"size", a.config.size()}}},
      {"layers",
       {{{"mediaType", "application/vnd.cncf.helm.chart.content.v1.tar+gzip"},
         {"digest", digest_of("sha256", a.chart)},
         {"size", a.declared_chart_size >= 0 ? a.declared_chart_size : int64_t(a.chart.size())}}}}};
  return m.dump();
}

// A registry of repositories with one artifact per tag.
// Blobs whose digest is in `stall` send 10 bytes and then nothing until the
// test ends.
class FakeRegistry {
 public:
  FakeRegistry() {
    server_.Get(R"(/v2/(.+)/manifests/([^/]+))", [this](const httplib::Request& req,
                                                        httplib::Response& res) {
      std::lock_guard lock(mu_);
      auto it = tags_.find(req.matches[1].str() + ":" + req.matches[2].str());
      if (it == tags_.end()) {
        res.status = 404;
        return;
      }
      res.set_content(it->second.manifest, "application/vnd.oci.image.manifest.v1+json");
    });
    server_.Get(R"(/v2/(.+)/blobs/([^/]+))",
                [this](const httplib::Request& req, httplib::Response& res) {
                  std::string digest = req.matches[2].str();
                  std::lock_guard lock(mu_);
                  ++blob_gets_[digest];
                  if (stall_.count(digest)) {
                    res.set_chunked_content_provider(
                        "application/octet-stream", [this](size_t, httplib::DataSink& sink) {
                          sink.write("0123456789", 10);
                          std::unique_lock l(stall_mu_);
                          stall_cv_.wait_for(l, 60s, [this] { return released_; });
                          sink.done();
                          return true;
                        });
                    return;
                  }
                  auto it = blobs_.find(digest);
                  if (it == blobs_.end()) {
                    res.status = 404;
                    return;
                  }
                  res.set_content(it->second, "application/octet-stream");
                });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 1000 && !server_.is_running(); ++i) std::this_thread::sleep_for(10ms);
  }
  ~FakeRegistry() {
    {
      std::lock_guard l(stall_mu_);
      released_ = true;
    }
    stall_cv_.notify_all();
    server_.stop();
    thread_.join();
  }
  // repo: "charts/demo"
  void add(const std::string& repo, const std::string& tag, Artifact a, bool stall = false) {
    a.manifest = manifest_for(a);
    std::lock_guard lock(mu_);
    blobs_[digest_of("sha256", a.config)] = a.config;
    blobs_[digest_of("sha256", a.chart)] = a.chart;
    if (stall) stall_.insert(digest_of("sha256", a.chart));
    tags_[repo + ":" + tag] = a;
  }
  int blob_gets(const std::string& digest) {
    std::lock_guard lock(mu_);
    return blob_gets_[digest];
  }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::map<std::string, Artifact> tags_;
  std::map<std::string, std::string> blobs_;
  std::set<std::string> stall_;
  std::map<std::string, int> blob_gets_;
  std::mutex stall_mu_;
  std::condition_variable stall_cv_;
  bool released_ = false;
};

Artifact chart_artifact(const std::string& name, const std::string& version) {
  Artifact a;
  a.config = nlohmann::json({{"name", name}, {"version", version}, {"apiVersion", "v2"}}).dump();
  a.chart = test::make_chart_tgz(name, version);
  return a;
}

class ChartPullerTest : public ::testing::Test {
 protected:
  explicit ChartPullerTest(RegistryOptions opts = {true})
      : auth_(http_, creds_, SystemClock::instance()),
        client_(http_, auth_, opts),
        puller_(client_) {}
  Reference ref(const std::string& repo, const std::string& tag) const {
    return parse_reference("oci://" + registry_.host() + "/" + repo + ":" + tag);
  }
  PullOptions into_dest() const {
    PullOptions o;
    o.dest_dir = dest_.path();
    return o;
  }
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    for (auto& p : std::filesystem::directory_iterator(dest_.path()))
      out.push_back(p.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }

  FakeRegistry registry_;
  test::TempDir dest_;
  http::CurlHttpClient http_;
  Anonymous creds_;
  AuthClient auth_;
  RegistryClient client_;
  ChartPuller puller_;
};

TEST_F(ChartPullerTest, ChartLayerDeclaredOverTheLimitIsRefusedBeforeTheFirstByte) {
  Artifact a = chart_artifact("demo", "1.0.0");
  a.declared_chart_size = int64_t(100) << 30;  // 100 GiB
  registry_.add("charts/demo", "1.0.0", a);
  try {
    puller_.pull(ref("charts/demo", "1.0.0"), into_dest());
    FAIL() << "a 100 GiB chart layer was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kRemote);
    EXPECT_THAT(e.what(), HasSubstr("107374182400 bytes"));
    EXPECT_THAT(e.what(), HasSubstr(std::to_string(kMaxChartBlobBytes)));
    EXPECT_THAT(e.what(), HasSubstr("charts/demo"));
  }
  EXPECT_EQ(registry_.blob_gets(digest_of("sha256", a.chart)), 0) << "the blob was requested";
  EXPECT_TRUE(files().empty()) << "something was written";
}

TEST_F(ChartPullerTest, FetchBlobRefusesADescriptorOverItsLimit) {
  Artifact a = chart_artifact("demo", "1.0.0");
  registry_.add("charts/demo", "1.0.0", a);
  Descriptor d;
  d.digest = digest_of("sha256", a.chart);
  d.size = int64_t(a.chart.size());
  EXPECT_THROW(
      client_.fetch_blob(
          ref("charts/demo", "1.0.0"), d, [](std::string_view) { return true; }, d.size - 1),
      Error);
  EXPECT_EQ(registry_.blob_gets(d.digest), 0);
}

class StallingBlobTest : public ChartPullerTest {
 protected:
  StallingBlobTest() : ChartPullerTest(RegistryOptions{true, 1, std::chrono::seconds(1)}) {}
};

TEST_F(StallingBlobTest, BlobThatStallsEndsAtTheLowSpeedBoundAndLeavesNothing) {
  Artifact a = chart_artifact("demo", "1.0.0");
  registry_.add("charts/demo", "1.0.0", a, /*stall=*/true);
  auto start = std::chrono::steady_clock::now();
  try {
    puller_.pull(ref("charts/demo", "1.0.0"), into_dest());
    FAIL() << "a stalled blob was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNetwork) << e.what();
  }
  // A watchdog, not a timing assertion: without the bound this waits 60 s.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
  EXPECT_TRUE(files().empty()) << "a partial file was left";
}

// Helm names the file from the reference and the tag it resolved
// (pkg/downloader DownloadTo: filepath.Base of the path, "name:tag" ->
// "name-tag.tgz"), not from Chart.yaml.
TEST_F(ChartPullerTest, FileIsNamedFromTheReferenceAndTagAsHelmDoes) {
  Artifact a = chart_artifact("demo", "1.0.0");  // Chart.yaml says 1.0.0
  registry_.add("charts/demo", "99.999.0", a);
  std::vector<std::string> warnings;
  puller_.warn = [&](const std::string& w) { warnings.push_back(w); };
  PullResult r = puller_.pull(ref("charts/demo", "99.999.0"), into_dest());
  EXPECT_EQ(r.name, "demo");
  EXPECT_EQ(r.version, "99.999.0");
  EXPECT_EQ(files(), std::vector<std::string>{"demo-99.999.0.tgz"});
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0], HasSubstr("demo 1.0.0"));
  // "_" in a tag is "+" in the version, as Helm shows it.
  registry_.add("charts/demo", "1.3.0_build.7", chart_artifact("demo", "1.3.0+build.7"));
  EXPECT_EQ(puller_.pull(ref("charts/demo", "1.3.0_build.7"), into_dest()).version,
            "1.3.0+build.7");
  EXPECT_TRUE(std::filesystem::exists(dest_.file("demo-1.3.0+build.7.tgz")));
}

TEST_F(ChartPullerTest, TwoChartsForOneFileInOnePullAreRefused) {
  Artifact a = chart_artifact("demo", "1.0.0");
  Artifact b = chart_artifact("demo", "1.0.0");
  b.chart = test::make_chart_tgz("demo", "1.0.0", {{"values.yaml", "team: b\n"}});
  registry_.add("team-a/demo", "1.0.0", a);
  registry_.add("team-b/demo", "1.0.0", b);
  puller_.pull(ref("team-a/demo", "1.0.0"), into_dest());
  // The same chart again writes the same bytes: not a conflict.
  puller_.pull(ref("team-a/demo", "1.0.0"), into_dest());
  try {
    puller_.pull(ref("team-b/demo", "1.0.0"), into_dest());
    FAIL() << "team-b's chart silently replaced team-a's";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_THAT(e.what(), HasSubstr("team-b/demo"));
    EXPECT_THAT(e.what(), HasSubstr("demo-1.0.0.tgz"));
  }
  EXPECT_EQ(files(), std::vector<std::string>{"demo-1.0.0.tgz"});
  std::ifstream in(dest_.file("demo-1.0.0.tgz"), std::ios::binary);
  std::string kept((std::istreambuf_iterator<char>(in)), {});
  EXPECT_TRUE(kept == a.chart) << "the first chart was overwritten";
}

// Issue 18, defect 11: a digest is shown name@sha256:..., never name:sha256:...
TEST_F(ChartPullerTest, ErrorsShowADigestAfterAnAt) {
  std::string digest = digest_of("sha256", "no such manifest");
  try {
    puller_.pull(parse_reference("oci://" + registry_.host() + "/charts/demo@" + digest),
                 into_dest());
    FAIL() << "a missing manifest was pulled";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("charts/demo@" + digest));
    EXPECT_THAT(e.what(), ::testing::Not(HasSubstr(":" + digest)));
  }
}

// Issue 18, defect 11: a broken archive under --untar is named by its
// reference (not the temporary file) and leaves no empty --untardir.
TEST_F(ChartPullerTest, BadArchiveUnderUntarNamesTheReferenceAndLeavesNoFolder) {
  Artifact a = chart_artifact("demo", "1.0.0");
  a.chart = "this is not a gzip archive";
  registry_.add("charts/demo", "1.0.0", a);
  PullOptions o = into_dest();
  o.untar = true;
  o.untar_dir = "new/sub";
  try {
    puller_.pull(ref("charts/demo", "1.0.0"), o);
    FAIL() << "a broken archive was extracted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_THAT(e.what(), HasSubstr("charts/demo@sha256:"));
    EXPECT_THAT(e.what(), ::testing::Not(HasSubstr(".part")));
  }
  EXPECT_TRUE(files().empty()) << "left behind: " << ::testing::PrintToString(files());
}

TEST(RegistryOptions, BlobDownloadsHaveALowSpeedBoundByDefault) {
  RegistryOptions o;
  EXPECT_GT(o.blob_low_speed_bytes, 0);
  EXPECT_GT(o.blob_low_speed_time.count(), 0);
  EXPECT_LE(o.blob_low_speed_time, std::chrono::seconds(60));
}

}  // namespace
}  // namespace ecrhelm::oci
