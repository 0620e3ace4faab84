// A tag list of 2,500 tags over several pages: docker-registry 2.8 answers
// tags/list in one piece (it ignores `n`), so a small front pages it as ECR
// does (pages of up to 1000, unsorted, opaque `last=` cursors in a `Link`
// header) and records every page request; everything else is proxied.
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "http/client.h"
#include "support/registry.h"
#include "support/testbed.h"
#include "util/encoding.h"
#include "util/fs.h"
#include "util/hasher.h"

namespace ecrhelm::test {
namespace {

constexpr int kMinors = 50, kPatches = 50;  // 1.M.P: 2,500 tags
constexpr int kMinorsPut = 2;               // 1.0.x and 1.1.x go through the API
constexpr size_t kEcrPageSize = 1000;

class PagingFront {
 public:
  explicit PagingFront(const std::string& upstream) : upstream_(upstream) {
    server_.Get(
        R"(/v2/(.+)/tags/list)", [this](const httplib::Request& req, httplib::Response& res) {
          std::string name = req.matches[1].str();
          std::vector<std::string> all = upstream_tags(name);
          size_t n = kEcrPageSize;
          if (req.has_param("n")) n = std::stoul(req.get_param_value("n"));
          size_t start = 0;
          {
            std::lock_guard lock(mu_);
            page_queries_.push_back(req.has_param("last") ? req.get_param_value("last") : "");
            if (req.has_param("last")) {
              auto it = cursors_.find(req.get_param_value("last"));
              if (it == cursors_.end()) {
                res.status = 400;
                return;
              }
              start = it->second;
            }
          }
          nlohmann::json page = {{"name", name}, {"tags", nlohmann::json::array()}};
          size_t end = std::min(all.size(), start + n);
          for (size_t i = start; i < end; ++i) page["tags"].push_back(all[i]);
          if (end < all.size()) {
            // Opaque, as ECR's: nothing a client could compute.
            std::string cursor = base64_encode("ecr-cursor:" + std::to_string(end * 7919));
            for (char& c : cursor)
              if (c == '=') c = '_';
            {
              std::lock_guard lock(mu_);
              cursors_[cursor] = end;
            }
            std::string origin = foreign_link_ ? "http://127.0.0.2:1" : "";
            res.set_header("Link", "<" + origin + "/v2/" + name + "/tags/list?last=" + cursor +
                                       "&n=" + std::to_string(n) + ">; rel=\"next\"");
          }
          res.set_content(page.dump(), "application/json");
        });
    server_.Get(R"(/v2/.*)", [this](const httplib::Request& req, httplib::Response& res) {
      httplib::Client c("http://" + upstream_);
      httplib::Headers h;
      if (req.has_header("Accept")) h.emplace("Accept", req.get_header_value("Accept"));
      auto r = c.Get(req.path.c_str(), h);
      res.status = r ? r->status : 502;
      if (!r) return;
      res.set_content(r->body, r->get_header_value("Content-Type").c_str());
      if (r->has_header("Docker-Content-Digest"))
        res.set_header("Docker-Content-Digest", r->get_header_value("Docker-Content-Digest"));
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~PagingFront() {
    server_.stop();
    thread_.join();
  }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> page_queries() {
    std::lock_guard lock(mu_);
    return page_queries_;
  }
  std::set<std::string> cursors_issued() {
    std::lock_guard lock(mu_);
    std::set<std::string> out;
    for (auto& [c, _] : cursors_) out.insert(c);
    return out;
  }
  void reset() {
    std::lock_guard lock(mu_);
    page_queries_.clear();
    cursors_.clear();
  }
  void link_to_another_origin(bool on) { foreign_link_ = on; }

 private:
  // The registry's full list, in its own (unsorted) order.
  std::vector<std::string> upstream_tags(const std::string& name) {
    httplib::Client c("http://" + upstream_);
    auto r = c.Get(("/v2/" + name + "/tags/list").c_str());
    if (!r || r->status != 200) return {};
    return nlohmann::json::parse(r->body)["tags"].get<std::vector<std::string>>();
  }

  std::string upstream_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> page_queries_;
  std::map<std::string, size_t> cursors_;
  std::atomic<bool> foreign_link_{false};
};

class TagPagingTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    registry_ = new RegistryServer();
    // One chart manifest under every tag, blobs pushed once. Its config
    // names no version, so `pull` reports the tag it resolved.
    std::string repo = "charts/many";
    tgz_ = make_chart_tgz("many", "1.0.0");
    std::string config = R"({"name":"many","apiVersion":"v2"})";
    std::string config_digest = push_blob(registry_->url(), repo, config);
    std::string chart_digest = push_blob(registry_->url(), repo, tgz_);
    nlohmann::json m = {{"schemaVersion", 2},
                        {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                        {"config",
                         {{"mediaType", "application/vnd.cncf.helm.config.v1+json"},
                          {"digest", config_digest},
                          {"size", config.size()}}},
                        {"layers",
                         {{{"mediaType", "application/vnd.cncf.helm.chart.content.v1.tar+gzip"},
                           {"digest", chart_digest},
                           {"size", tgz_.size()}}}}};
    manifest_ = m.dump();
    // The first tags through the distribution API over one kept-alive
    // connection, the rest written into the registry's storage as those PUTs
    // leave it (a PUT takes tens of ms here: 2,500 would take minutes).
    http::CurlHttpClient http;
    std::vector<std::string> on_disk;
    for (int minor = 0; minor < kMinors; ++minor) {
      for (int patch = 0; patch < kPatches; ++patch) {
        std::string tag = "1." + std::to_string(minor) + "." + std::to_string(patch);
        tags_.insert(tag);
        if (minor >= kMinorsPut) {
          on_disk.push_back(tag);
          continue;
        }
        http::Request put;
        put.method = "PUT";
        put.url = registry_->url() + "/v2/" + repo + "/manifests/" + tag;
        put.body = manifest_;
        put.headers.add("Content-Type", "application/vnd.oci.image.manifest.v1+json");
        auto r = http.send(put);
        if (r.status != 201) throw std::runtime_error("manifest put failed: " + r.body);
      }
    }
    registry_->add_tags_in_storage(repo, digest_of("sha256", manifest_), on_disk);
    front_ = new PagingFront(registry_->host());
  }
  static void TearDownTestSuite() {
    delete front_;
    delete registry_;
  }
  void SetUp() override { front_->reset(); }
  RunResult run(std::vector<std::string> args) {
    args.push_back("--plain-http");
    return run_ecrhelm(args, {{"HOME", home_.path()}, {"AWS_EC2_METADATA_DISABLED", "true"}});
  }
  std::string ref() const { return "oci://" + front_->host() + "/charts/many"; }
  // Every page after the first asked for exactly a cursor the front issued.
  void expect_three_linked_pages() {
    auto queries = front_->page_queries();
    ASSERT_EQ(queries.size(), 3u) << "2,500 tags in pages of 1000";
    EXPECT_EQ(queries[0], "");
    std::set<std::string> sent(queries.begin() + 1, queries.end());
    EXPECT_EQ(sent.size(), 2u) << "the same page was asked twice";
    EXPECT_EQ(sent, front_->cursors_issued());
  }

  static RegistryServer* registry_;
  static PagingFront* front_;
  static std::string tgz_, manifest_;
  static std::set<std::string> tags_;
  TempDir home_;
};
RegistryServer* TagPagingTest::registry_ = nullptr;
PagingFront* TagPagingTest::front_ = nullptr;
std::string TagPagingTest::tgz_, TagPagingTest::manifest_;
std::set<std::string> TagPagingTest::tags_;

TEST_F(TagPagingTest, TagsFollowsLinkAcrossEveryPage) {
  auto r = run({"tags", ref(), "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto listed = nlohmann::json::parse(r.out).get<std::vector<std::string>>();
  ASSERT_EQ(listed.size(), 2500u);
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()), tags_) << "a tag missing or twice";
  EXPECT_EQ(listed.front(), "1.49.49");
  EXPECT_EQ(listed[1], "1.49.48");
  EXPECT_EQ(listed[50], "1.48.49");  // semver order, not text order
  EXPECT_EQ(listed.back(), "1.0.0");
  expect_three_linked_pages();
}

TEST_F(TagPagingTest, ConstraintPicksTheHighestOfAllPages) {
  auto r = run({"pull", ref(), "--version", ">=1.10 <1.40", "-d", home_.path()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Pulled: " + front_->host() +
                       "/charts/many:1.39.49\nDigest: " + digest_of("sha256", manifest_) + "\n");
  EXPECT_EQ(read_file(home_.file("many-1.39.49.tgz"), "chart"), tgz_);
  expect_three_linked_pages();
}

TEST_F(TagPagingTest, NoVersionPicksTheHighestRelease) {
  auto r = run({"pull", ref(), "-d", home_.path()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("charts/many:1.49.49\n"), std::string::npos) << r.out;
  EXPECT_EQ(front_->page_queries().size(), 3u);
}

TEST_F(TagPagingTest, LinkToAnotherOriginIsRefused) {
  front_->link_to_another_origin(true);
  auto r = run({"tags", ref()});
  front_->link_to_another_origin(false);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("links to another origin; refused"), std::string::npos) << r.err;
  EXPECT_EQ(front_->page_queries().size(), 1u) << "the foreign page was fetched";
}

}  // namespace
}  // namespace ecrhelm::test
