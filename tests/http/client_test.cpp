// CurlHttpClient against a local httplib server on 127.0.0.1: methods,
// headers and bodies both ways, statuses, no redirects, limits, streaming
// sinks, timeouts, errors without secrets, connection reuse and threads.
#include "http/client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/testbed.h"
#include "util/error.h"
#include "util/strings.h"

namespace ecrhelm::http {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

struct Recorded {
  std::string method;
  std::string path;
  std::string body;
  std::multimap<std::string, std::string> headers;  // lower-cased names
  int remote_port = -1;

  std::vector<std::string> header(const std::string& name) const {
    std::vector<std::string> out;
    auto [b, e] = headers.equal_range(to_lower(name));
    for (auto it = b; it != e; ++it) out.push_back(it->second);
    return out;
  }
};

std::string big_body(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i % 26);
  return s;
}

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.new_task_queue = [] { return new httplib::ThreadPool(24); };
    server_.set_keep_alive_timeout(2);
    server_.set_payload_max_length(64 << 20);

    auto echo = [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.set_header("X-Method", req.method);
      res.set_content(req.method + ":" + req.body, "application/octet-stream");
    };
    server_.Get("/echo", echo);
    server_.Post("/echo", echo);
    server_.Put("/echo", echo);
    server_.Delete("/echo", echo);
    server_.Patch("/echo", echo);

    server_.Get("/headers", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.set_header("X-Multi", "first");
      res.set_header("X-Multi", "second");
      res.set_header("X-Mixed-Case", "  padded value  ");
      res.set_content("ok", "text/plain");
    });
    server_.Get(R"(/status/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.status = std::stoi(req.matches[1]);
      res.set_content("status body " + std::string(req.matches[1]), "text/plain");
    });
    server_.Get("/redirect", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.status = 302;
      res.set_header("Location", "/echo");
      res.set_content("moved", "text/plain");
    });
    server_.Get("/big", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.set_content(big_body(100000), "application/octet-stream");
    });
    server_.Get("/text", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.set_content(big_body(50000), "text/plain");  // httplib compresses text
    });
    server_.Get("/chunked", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.set_chunked_content_provider("application/octet-stream",
                                       [](size_t, httplib::DataSink& sink) {
                                         std::string chunk(1000, 'c');
                                         for (int i = 0; i < 100; ++i) {
                                           if (!sink.write(chunk.data(), chunk.size()))
                                             return false;
                                         }
                                         sink.done();
                                         return true;
                                       });
    });
    server_.Get("/slow", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      std::unique_lock lock(slow_mu_);
      slow_cv_.wait_for(lock, 3s, [this] { return release_slow_; });
      res.set_content("late", "text/plain");
    });
    // Headers and 10 bytes, then nothing until the test ends (60 s at most).
    server_.Get("/stall", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.set_chunked_content_provider(
          "application/octet-stream", [this](size_t, httplib::DataSink& sink) {
            sink.write("0123456789", 10);
            std::unique_lock lock(slow_mu_);
            slow_cv_.wait_for(lock, 60s, [this] { return release_slow_; });
            sink.done();
            return true;
          });
    });
    server_.Get("/port", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.set_content(std::to_string(req.remote_port), "text/plain");
    });

    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() is a no-op until the server runs: wait for it (hang guard 10 s).
    for (int i = 0; i < 1000 && !server_.is_running(); ++i) std::this_thread::sleep_for(10ms);
    ASSERT_TRUE(server_.is_running());
    client_ = std::make_unique<CurlHttpClient>();
  }

  void TearDown() override {
    {
      std::lock_guard lock(slow_mu_);
      release_slow_ = true;
    }
    slow_cv_.notify_all();
    client_.reset();  // closes kept-alive connections so server workers exit
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  void record(const httplib::Request& req) {
    Recorded r;
    r.method = req.method;
    r.path = req.path;
    r.body = req.body;
    r.remote_port = req.remote_port;
    for (const auto& [k, v] : req.headers) r.headers.emplace(to_lower(k), v);
    std::lock_guard lock(mu_);
    requests_.push_back(std::move(r));
  }

  std::vector<Recorded> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

  Recorded last_request() {
    std::lock_guard lock(mu_);
    EXPECT_FALSE(requests_.empty());
    return requests_.empty() ? Recorded{} : requests_.back();
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  Request make(const std::string& method, const std::string& path, std::string body = "") {
    Request req;
    req.method = method;
    req.url = url(path);
    req.body = std::move(body);
    req.timeout = 30s;  // hang guard
    return req;
  }

  // Sends and returns the Error it must throw.
  Error send_error(const Request& req) {
    try {
      Response r = client_->send(req);
      ADD_FAILURE() << req.method << " " << req.url << " succeeded with status " << r.status;
    } catch (const Error& e) {
      return e;
    }
    return Error(ErrorKind::kInternal, "no error");
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::unique_ptr<CurlHttpClient> client_;

  std::mutex mu_;
  std::vector<Recorded> requests_;

  std::mutex slow_mu_;
  std::condition_variable slow_cv_;
  bool release_slow_ = false;
};

TEST_F(ClientTest, GetWithHeaders) {
  Request req = make("GET", "/echo?x=1");
  req.headers.add("X-Custom", "value with spaces: and colon");
  req.headers.add("Authorization", "Basic QVdTOnNlY3JldA==");
  req.headers.add("Accept", "application/vnd.oci.image.manifest.v1+json");
  req.headers.add("Accept", "application/vnd.docker.distribution.manifest.v2+json");
  Response resp = client_->send(req);
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body, "GET:");
  Recorded r = last_request();
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, "/echo");
  EXPECT_THAT(r.header("X-Custom"), ElementsAre("value with spaces: and colon"));
  EXPECT_THAT(r.header("Authorization"), ElementsAre("Basic QVdTOnNlY3JldA=="));
  EXPECT_THAT(r.header("Accept"),
              ElementsAre("application/vnd.oci.image.manifest.v1+json",
                          "application/vnd.docker.distribution.manifest.v2+json"));
  EXPECT_THAT(r.header("User-Agent"), ElementsAre(CurlHttpClient::default_user_agent()));
  EXPECT_TRUE(r.body.empty());
}

// One-connection server speaking raw bytes, for what httplib hides (it drops
// empty header values) or cannot send (interim responses, empty replies).
class RawServer {
 public:
  explicit RawServer(std::string response) : response_(std::move(response)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(fd_, 4) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      throw std::runtime_error("raw server setup failed");
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~RawServer() {
    ::shutdown(fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/raw"; }
  std::string request_head() {
    if (thread_.joinable()) thread_.join();
    return head_;
  }

 private:
  void serve() {
    int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    timeval tv{10, 0};  // hang guard
    ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[4096];
    while (head_.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      head_.append(buf, size_t(n));
    }
    if (!response_.empty()) (void)!::send(c, response_.data(), response_.size(), MSG_NOSIGNAL);
    ::close(c);
  }

  std::string response_;
  std::string head_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

TEST(ClientRaw, EmptyHeaderValueIsSent) {
  RawServer raw("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
  CurlHttpClient client;
  Request req;
  req.url = raw.url();
  req.timeout = 30s;
  req.headers.add("X-Empty", "");
  req.headers.add("X-Full", "v");
  Response resp = client.send(req);
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body, "ok");
  std::string head = raw.request_head();
  EXPECT_THAT(head, HasSubstr("\r\nX-Empty:\r\n"));
  EXPECT_THAT(head, HasSubstr("\r\nX-Full: v\r\n"));
  EXPECT_THAT(head, HasSubstr("GET /raw HTTP/1.1\r\n"));
}

TEST(ClientRaw, InterimResponseHeadersAreDropped) {
  RawServer raw(
      "HTTP/1.1 100 Continue\r\nX-Interim: yes\r\n\r\n"
      "HTTP/1.1 201 Created\r\nX-Final: yes\r\nContent-Length: 4\r\nConnection: close\r\n\r\n"
      "done");
  CurlHttpClient client;
  Request req;
  req.method = "PUT";
  req.url = raw.url();
  req.body = "payload";
  req.timeout = 30s;
  Response resp = client.send(req);
  EXPECT_EQ(resp.status, 201);
  EXPECT_EQ(resp.body, "done");
  EXPECT_EQ(resp.headers.get("X-Final"), "yes");
  EXPECT_FALSE(resp.headers.get("X-Interim"));
}

TEST(ClientRaw, EmptyReplyIsANetworkError) {
  RawServer raw("");
  CurlHttpClient client;
  Request req;
  req.url = raw.url() + "?token=SECRETVALUE";
  req.timeout = 30s;
  try {
    client.send(req);
    FAIL() << "an empty reply was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNetwork);
    EXPECT_THAT(e.what(), HasSubstr(raw.url()));
    EXPECT_THAT(e.what(), Not(HasSubstr("SECRETVALUE")));
  }
}

TEST(ClientRaw, TruncatedBodyIsANetworkError) {
  RawServer raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\nshort");
  CurlHttpClient client;
  Request req;
  req.url = raw.url();
  req.timeout = 30s;
  try {
    client.send(req);
    FAIL() << "a truncated body was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNetwork);
  }
}

TEST_F(ClientTest, CustomUserAgent) {
  CurlHttpClient client({}, "argo-test/1.2");
  client.send(make("GET", "/echo"));
  EXPECT_THAT(last_request().header("User-Agent"), ElementsAre("argo-test/1.2"));
}

TEST_F(ClientTest, PostBodyArrivesIntact) {
  std::string body = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15";
  body += std::string("\0\x01\xff binary", 10);
  Request req = make("POST", "/echo", body);
  req.headers.add("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
  Response resp = client_->send(req);
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body, "POST:" + body);
  Recorded r = last_request();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.body, body);
  EXPECT_THAT(r.header("Content-Type"),
              ElementsAre("application/x-www-form-urlencoded; charset=utf-8"));
  EXPECT_THAT(r.header("Content-Length"), ElementsAre(std::to_string(body.size())));
}

TEST_F(ClientTest, LargePostBodyWithoutExpectContinue) {
  std::string body = big_body(1 << 20);
  Request req = make("POST", "/echo", body);
  req.headers.add("Content-Type", "application/octet-stream");
  req.max_response_bytes = 2 << 20;
  Response resp = client_->send(req);
  EXPECT_EQ(resp.status, 200);
  EXPECT_TRUE(resp.body == "POST:" + body);
  Recorded r = last_request();
  EXPECT_TRUE(r.body == body);
  EXPECT_TRUE(r.header("Expect").empty());
}

TEST_F(ClientTest, BodyWithoutContentTypeGetsNoFormDefault) {
  client_->send(make("POST", "/echo", "{\"a\":1}"));
  Recorded r = last_request();
  EXPECT_EQ(r.body, "{\"a\":1}");
  EXPECT_THAT(r.header("Content-Type"),
              Not(::testing::Contains(HasSubstr("x-www-form-urlencoded"))));
}

TEST_F(ClientTest, PutWithBodyAndEmptyPut) {
  Request req = make("PUT", "/echo", "manifest bytes");
  req.headers.add("Content-Type", "application/vnd.oci.image.manifest.v1+json");
  Response resp = client_->send(req);
  EXPECT_EQ(resp.body, "PUT:manifest bytes");
  EXPECT_EQ(last_request().method, "PUT");
  EXPECT_EQ(last_request().body, "manifest bytes");

  Response empty = client_->send(make("PUT", "/echo"));
  EXPECT_EQ(empty.status, 200);
  EXPECT_EQ(empty.body, "PUT:");
  EXPECT_EQ(last_request().body, "");
}

TEST_F(ClientTest, PatchWithBody) {
  Request req = make("PATCH", "/echo", "{\"data\":{}}");
  req.headers.add("Content-Type", "application/merge-patch+json");
  EXPECT_EQ(client_->send(req).body, "PATCH:{\"data\":{}}");
  EXPECT_EQ(last_request().method, "PATCH");
}

TEST_F(ClientTest, Head) {
  Response resp = client_->send(make("HEAD", "/echo"));
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body, "");
  EXPECT_EQ(resp.headers.get("X-Method"), "HEAD");
  EXPECT_EQ(last_request().method, "HEAD");
}

TEST_F(ClientTest, Delete) {
  Response resp = client_->send(make("DELETE", "/echo"));
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body, "DELETE:");
  EXPECT_EQ(last_request().method, "DELETE");
}

TEST_F(ClientTest, MethodsInSequenceOnOneClient) {
  // A pooled handle must not keep the previous request's method or body.
  EXPECT_EQ(client_->send(make("POST", "/echo", "b1")).body, "POST:b1");
  EXPECT_EQ(client_->send(make("HEAD", "/echo")).status, 200);
  EXPECT_EQ(client_->send(make("GET", "/echo")).body, "GET:");
  EXPECT_EQ(client_->send(make("DELETE", "/echo")).body, "DELETE:");
  EXPECT_EQ(client_->send(make("GET", "/echo")).body, "GET:");
  auto reqs = requests();
  ASSERT_EQ(reqs.size(), 5u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[1].method, "HEAD");
  EXPECT_EQ(reqs[2].method, "GET");
  EXPECT_EQ(reqs[2].body, "");
  EXPECT_EQ(reqs[3].method, "DELETE");
  EXPECT_EQ(reqs[4].method, "GET");
}

TEST_F(ClientTest, ResponseHeaders) {
  Response resp = client_->send(make("GET", "/headers"));
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.headers.get("x-multi"), "first");
  EXPECT_EQ(resp.headers.get("X-MULTI"), "first");
  EXPECT_THAT(resp.headers.get_all("x-Multi"), ElementsAre("first", "second"));
  EXPECT_EQ(resp.headers.get("x-mixed-case"), "padded value");
  EXPECT_EQ(resp.headers.get("content-type"), "text/plain");
  EXPECT_FALSE(resp.headers.get("x-absent"));
  EXPECT_TRUE(resp.headers.get_all("x-absent").empty());
  for (const auto& e : resp.headers.entries()) {
    EXPECT_EQ(e.name.find_first_of("\r\n"), std::string::npos);
    EXPECT_EQ(e.value.find_first_of("\r\n"), std::string::npos);
  }
}

TEST_F(ClientTest, ErrorStatusesArePassedThrough) {
  for (int status : {400, 401, 403, 404, 429, 500, 503}) {
    Response resp = client_->send(make("GET", "/status/" + std::to_string(status)));
    EXPECT_EQ(resp.status, status);
    EXPECT_EQ(resp.body, "status body " + std::to_string(status));
  }
}

TEST_F(ClientTest, RedirectsAreNotFollowed) {
  Response resp = client_->send(make("GET", "/redirect"));
  EXPECT_EQ(resp.status, 302);
  EXPECT_EQ(resp.headers.get("Location"), "/echo");
  EXPECT_EQ(resp.body, "moved");
  auto reqs = requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].path, "/redirect");
}

TEST_F(ClientTest, CompressedResponsesAreDecoded) {
  Response resp = client_->send(make("GET", "/text"));
  EXPECT_EQ(resp.status, 200);
  EXPECT_TRUE(resp.body == big_body(50000));
}

TEST_F(ClientTest, BodyAtTheLimitIsAccepted) {
  Request req = make("GET", "/big");
  req.max_response_bytes = 100000;
  EXPECT_EQ(client_->send(req).body.size(), 100000u);
}

TEST_F(ClientTest, BodyOverTheLimitIsARemoteErrorNamingTheUrl) {
  Request req = make("GET", "/big");
  req.max_response_bytes = 1000;
  Error e = send_error(req);
  EXPECT_EQ(e.kind(), ErrorKind::kRemote);
  EXPECT_THAT(e.what(), HasSubstr(url("/big")));
  EXPECT_THAT(e.what(), HasSubstr("1000"));
  // The handle is usable afterwards.
  EXPECT_EQ(client_->send(make("GET", "/echo")).body, "GET:");
}

TEST_F(ClientTest, SinkReceivesTheBodyInChunks) {
  Request req = make("GET", "/chunked");
  req.max_response_bytes = 10;  // ignored with a sink
  std::string got;
  int calls = 0;
  req.sink = [&](std::string_view chunk) {
    got.append(chunk);
    ++calls;
    return true;
  };
  Response resp = client_->send(req);
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body, "");
  EXPECT_EQ(got, std::string(100000, 'c'));
  EXPECT_GT(calls, 1);
}

TEST_F(ClientTest, SinkAbortIsAnError) {
  Request req = make("GET", "/big");
  int calls = 0;
  req.sink = [&](std::string_view) {
    ++calls;
    return false;
  };
  Error e = send_error(req);
  EXPECT_EQ(e.kind(), ErrorKind::kRemote);
  EXPECT_THAT(e.what(), HasSubstr(url("/big")));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(client_->send(make("GET", "/echo")).body, "GET:");
}

TEST_F(ClientTest, SinkExceptionPropagatesUnchanged) {
  Request req = make("GET", "/big");
  req.sink = [](std::string_view) -> bool {
    throw Error(ErrorKind::kInvalidInput, "digest mismatch for blob sha256:abc");
  };
  try {
    client_->send(req);
    FAIL() << "sink exception swallowed";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_THAT(e.what(), HasSubstr("digest mismatch"));
  }
  req.sink = [](std::string_view) -> bool { throw std::logic_error("not an Error"); };
  EXPECT_THROW(client_->send(req), std::logic_error);
  EXPECT_EQ(client_->send(make("GET", "/echo")).body, "GET:");
}

TEST_F(ClientTest, TimeoutIsANetworkError) {
  Request req = make("GET", "/slow");
  req.timeout = 300ms;
  auto start = std::chrono::steady_clock::now();
  Error e = send_error(req);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(e.kind(), ErrorKind::kNetwork);
  EXPECT_THAT(e.what(), HasSubstr(url("/slow")));
  EXPECT_LT(elapsed, 2900ms) << "the client waited for the server instead of timing out";
  // The pooled handle still works.
  EXPECT_EQ(client_->send(make("GET", "/echo")).body, "GET:");
}

// A body that stalls after a few bytes ends at the low-speed bound, long
// before the total timeout (issue 18, defect 1).
TEST_F(ClientTest, StalledBodyEndsAtTheLowSpeedBound) {
  Request req = make("GET", "/stall");
  req.timeout = 10min;
  req.low_speed_bytes = 1;
  req.low_speed_time = 1s;
  std::string got;
  req.sink = [&](std::string_view chunk) {
    got.append(chunk);
    return true;
  };
  auto start = std::chrono::steady_clock::now();
  Error e = send_error(req);
  EXPECT_EQ(e.kind(), ErrorKind::kNetwork);
  EXPECT_THAT(e.what(), HasSubstr(url("/stall")));
  EXPECT_EQ(got, "0123456789");
  // A watchdog, not a timing assertion: without the bound this waits 60 s.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
}

TEST_F(ClientTest, ConnectionRefusedIsANetworkErrorNamingTheUrl) {
  int closed = test::free_port();
  Request req;
  req.url = "http://127.0.0.1:" + std::to_string(closed) + "/v2/";
  req.timeout = 10s;
  Error e = send_error(req);
  EXPECT_EQ(e.kind(), ErrorKind::kNetwork);
  EXPECT_THAT(e.what(), HasSubstr(req.url));
}

TEST_F(ClientTest, ErrorsDoNotLeakQueryOrUserinfo) {
  int closed = test::free_port();
  Request req;
  req.url = "http://AKIDUSER:PASSWORDVALUE@127.0.0.1:" + std::to_string(closed) +
            "/blob?X-Amz-Signature=SECRETVALUE&X-Amz-Security-Token=TOKENVALUE";
  req.timeout = 10s;
  Error e = send_error(req);
  EXPECT_EQ(e.kind(), ErrorKind::kNetwork);
  std::string msg = e.what();
  for (const char* secret : {"SECRETVALUE", "TOKENVALUE", "PASSWORDVALUE", "AKIDUSER"}) {
    EXPECT_THAT(msg, Not(HasSubstr(secret)));
  }
  EXPECT_THAT(msg, HasSubstr("127.0.0.1:" + std::to_string(closed) + "/blob"));

  // Same for an error from a live server.
  Request big = make("GET", "/big?X-Amz-Signature=SECRETVALUE");
  big.max_response_bytes = 10;
  Error e2 = send_error(big);
  EXPECT_THAT(e2.what(), Not(HasSubstr("SECRETVALUE")));
  EXPECT_THAT(e2.what(), HasSubstr(url("/big")));
}

TEST_F(ClientTest, NonHttpSchemesAreRefused) {
  Request req;
  req.url = "file:///etc/hostname";
  Error e = send_error(req);
  EXPECT_EQ(e.kind(), ErrorKind::kNetwork);
}

TEST_F(ClientTest, SequentialRequestsReuseTheConnection) {
  Response a = client_->send(make("GET", "/port"));
  Response b = client_->send(make("GET", "/port"));
  Response c = client_->send(make("POST", "/echo", "x"));
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.body, b.body) << "a second connection was opened";
  auto reqs = requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].remote_port, reqs[1].remote_port);
  EXPECT_EQ(reqs[1].remote_port, reqs[2].remote_port);
}

TEST_F(ClientTest, ConcurrentUseFromEightThreads) {
  constexpr int kThreads = 8, kPerThread = 25;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string body =
            "t" + std::to_string(t) + "-" + std::to_string(i) + big_body(size_t(i * 100));
        try {
          Request req = make("POST", "/echo", body);
          req.headers.add("X-Thread", std::to_string(t));
          Response r = client_->send(req);
          if (r.status == 200 && r.body == "POST:" + body) ++ok;
        } catch (const std::exception& e) {
          ADD_FAILURE() << e.what();
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  auto reqs = requests();
  EXPECT_EQ(reqs.size(), size_t(kThreads * kPerThread));
  for (const auto& r : reqs) {
    ASSERT_EQ(r.header("X-Thread").size(), 1u);
    EXPECT_EQ(r.body.substr(0, r.body.find('-')), "t" + r.header("X-Thread")[0]);
  }
}

TEST(RedactUrl, RemovesQueryFragmentAndUserinfo) {
  EXPECT_EQ(redact_url("https://h/p?X-Amz-Signature=abc"), "https://h/p?<redacted>");
  EXPECT_EQ(redact_url("https://user:pw@h:8443/p"), "https://h:8443/p");
  EXPECT_EQ(redact_url("https://user:pw@h"), "https://h");
  EXPECT_EQ(redact_url("https://h/p#frag"), "https://h/p?<redacted>");
  EXPECT_EQ(redact_url("https://h/a@b"), "https://h/a@b");
  EXPECT_EQ(redact_url("https://h/p"), "https://h/p");
  EXPECT_EQ(redact_url("https://u@h?q=@x"), "https://h?<redacted>");
}

TEST(HeadersValue, SetRemoveAndCaseInsensitiveLookup) {
  Headers h;
  EXPECT_TRUE(h.empty());
  h.add("Accept", "a");
  h.add("accept", "b");
  h.add("X-Other", "o");
  EXPECT_THAT(h.get_all("ACCEPT"), ElementsAre("a", "b"));
  h.set("ACCEPT", "c");
  EXPECT_THAT(h.get_all("accept"), ElementsAre("c"));
  EXPECT_EQ(h.entries().back().name, "ACCEPT");
  h.remove("x-other");
  EXPECT_FALSE(h.get("X-Other"));
  EXPECT_EQ(h.entries().size(), 1u);
}

}  // namespace
}  // namespace ecrhelm::http
