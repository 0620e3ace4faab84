#include "oci/registry_client.h"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <condition_variable>
#include <random>
#include <thread>

#include "http/retry.h"
#include "http/url.h"
#include "oci/auth_challenge.h"
#include "oci/link_header.h"
#include "util/encoding.h"
#include "util/error.h"
#include "util/hasher.h"
#include "util/strings.h"

namespace ecrhelm::oci {
namespace {

// ECR answers an expired token with 403 and this text (not 401).
bool is_expired_token(const http::Response& r) {
  return (r.status == 403 || r.status == 401) &&
         r.body.find("authorization token has expired") != std::string::npos;
}

bool rejected(const http::Response& r) { return r.status == 401 || is_expired_token(r); }

bool transient_status(long status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

std::string basic_header(const BasicCredentials& c) {
  return "Basic " + base64_encode(c.username + ":" + c.password.reveal());
}

// "CODE: message" from the distribution error body, or "".
std::string registry_error(const http::Response& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("errors") || !j["errors"].is_array() ||
      j["errors"].empty())
    return "";
  const auto& e = j["errors"][0];
  std::string code =
      e.contains("code") && e["code"].is_string() ? e["code"].get<std::string>() : "";
  std::string msg =
      e.contains("message") && e["message"].is_string() ? e["message"].get<std::string>() : "";
  return code + (msg.empty() ? "" : ": " + msg);
}

[[noreturn]] void fail_status(const std::string& what, const http::Response& r,
                              const std::string& cred_source) {
  std::string detail = registry_error(r);
  std::string base =
      fmt::format("{}: HTTP {}{}", what, r.status, detail.empty() ? "" : " " + detail);
  if (r.status == 401 || is_expired_token(r)) {
    fail(ErrorKind::kUnauthorized,
         "{} (credentials from {}); check them with `ecrhelm login` or the AWS credential chain",
         base, cred_source);
  }
  if (r.status == 403) {
    fail(ErrorKind::kForbidden, "{} (credentials from {}); the identity lacks pull permission",
         base, cred_source);
  }
  if (r.status == 404) fail(ErrorKind::kNotFound, "{}; check the repository, tag or digest", base);
  if (r.status == 429)
    fail(ErrorKind::kThrottled, "{}; the registry is throttling, retry later", base);
  fail(ErrorKind::kRemote, "{}", base);
}

// Hashes a large blob on a second thread while it streams, so verifying the
// digest adds no wall time to the transfer: chunks are copied into a buffer
// that is handed over when full while the next one fills (double buffering).
class BackgroundHasher {
 public:
  explicit BackgroundHasher(std::string_view algorithm) : hasher_(algorithm) {
    filling_.reserve(kHashBufferBytes);
    hashing_.reserve(kHashBufferBytes);
    thread_ = std::thread([this] { run(); });
  }
  ~BackgroundHasher() { stop(); }
  BackgroundHasher(const BackgroundHasher&) = delete;
  BackgroundHasher& operator=(const BackgroundHasher&) = delete;

  void update(std::string_view data) {
    while (!data.empty()) {
      size_t n = std::min(data.size(), kHashBufferBytes - filling_.size());
      filling_.append(data.data(), n);
      data.remove_prefix(n);
      if (filling_.size() == kHashBufferBytes) hand_over();
    }
  }
  std::string finish() {
    hand_over();
    stop();
    return hasher_.finish();
  }

 private:
  static constexpr size_t kHashBufferBytes = 1 << 20;

  void hand_over() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return !pending_; });
    std::swap(filling_, hashing_);
    filling_.clear();
    pending_ = true;
    cv_.notify_all();
  }
  void run() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return pending_ || done_; });
      if (!pending_) return;  // done, and nothing left to hash
      lock.unlock();
      hasher_.update(hashing_);
      lock.lock();
      pending_ = false;
      cv_.notify_all();
    }
  }
  void stop() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  DigestHasher hasher_;
  std::string filling_, hashing_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool pending_ = false, done_ = false;
  std::thread thread_;
};

}  // namespace

AuthClient::AuthClient(http::HttpClient& http, RegistryCredentials& creds, const Clock& clock)
    : http_(http), creds_(creds), clock_(clock) {}

std::string AuthClient::bearer_token(const std::string& host,
                                     const std::map<std::string, std::string>& params,
                                     const std::string& scope,
                                     const std::optional<BasicCredentials>& creds) {
  auto realm_it = params.find("realm");
  if (realm_it == params.end()) {
    fail(ErrorKind::kRemote, "registry {} sent a Bearer challenge without a realm", host);
  }
  auto realm = http::parse_url(realm_it->second);
  if (!realm) {
    fail(ErrorKind::kRemote, "registry {} sent a Bearer realm that is not an http(s) URL: {}", host,
         realm_it->second);
  }
  http::Request req;
  req.method = "GET";
  std::string query;
  auto add = [&](const std::string& k, const std::string& v) {
    query += (query.empty() ? "" : "&") + k + "=" + uri_encode(v);
  };
  if (auto s = params.find("service"); s != params.end()) add("service", s->second);
  add("scope", scope);
  req.url = realm->origin() + realm->path + "?" + (realm->query.empty() ? "" : realm->query + "&") +
            query;
  if (creds) req.headers.add("Authorization", basic_header(*creds));
  req.max_response_bytes = kMaxTokenResponseBytes;
  http::Response resp = http_.send(req);
  if (resp.status != 200) {
    fail(resp.status == 401 || resp.status == 403 ? ErrorKind::kUnauthorized : ErrorKind::kRemote,
         "token service {} refused a token for {} (HTTP {}); check the registry credentials",
         http::redact_url(req.url), scope, resp.status);
  }
  auto j = nlohmann::json::parse(resp.body, nullptr, false);
  std::string token;
  if (j.is_object()) {
    for (const char* k : {"token", "access_token"})
      if (j.contains(k) && j[k].is_string() && !j[k].get<std::string>().empty()) {
        token = j[k].get<std::string>();
        break;
      }
  }
  if (token.empty()) {
    fail(ErrorKind::kRemote, "token service {} answered without a token",
         http::redact_url(req.url));
  }
  auto lifetime = kDefaultBearerLifetime;
  if (j.contains("expires_in") && j["expires_in"].is_number_integer() &&
      j["expires_in"].get<int64_t>() > 0)
    lifetime = std::chrono::seconds(std::min<int64_t>(j["expires_in"].get<int64_t>(), 86400));
  std::lock_guard lock(mu_);
  cache_[host + " " + scope] = {"Bearer " + token,
                                clock_.now() + lifetime - std::chrono::seconds(5)};
  return "Bearer " + token;
}

std::optional<std::string> AuthClient::authorize(const std::string& host, const std::string& scope,
                                                 const http::Response& challenge_resp,
                                                 const std::optional<BasicCredentials>& creds,
                                                 bool registry_https) {
  std::vector<Challenge> challenges;
  for (const auto& h : challenge_resp.headers.get_all("WWW-Authenticate")) {
    auto more = parse_www_authenticate(h);
    challenges.insert(challenges.end(), more.begin(), more.end());
  }
  for (const auto& c : challenges) {
    if (c.scheme == "bearer") {
      if (auto realm = c.params.find("realm"); realm != c.params.end()) {
        auto url = http::parse_url(realm->second);
        if (url && url->scheme == "http" && registry_https) {
          fail(ErrorKind::kRemote,
               "registry {} sent a Bearer realm {} that downgrades https to http; refused", host,
               realm->second);
        }
      }
      return bearer_token(host, c.params, scope, creds);
    }
  }
  if (!creds) return std::nullopt;
  std::string header = basic_header(*creds);
  std::lock_guard lock(mu_);
  cache_[host + " " + scope] = {header, TimePoint::max()};
  return header;
}

http::Response AuthClient::send(const std::string& host, const std::string& scope,
                                http::Request req) {
  const std::string key = host + " " + scope;
  std::optional<std::string> header;
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && clock_.now() < it->second.expires) header = it->second.header;
  }
  if (header) req.headers.set("Authorization", *header);
  http::Response resp = http_.send(req);
  if (!rejected(resp)) return resp;

  const bool https = req.url.starts_with("https://");
  std::optional<BasicCredentials> creds;
  if (header || is_expired_token(resp)) {
    // What we sent was rejected: one refresh (e.g. a new ECR token), once.
    {
      std::lock_guard lock(mu_);
      cache_.erase(key);
    }
    creds = creds_.refresh(host);
    if (!creds) return resp;
    spdlog::debug("registry {}: credentials rejected (HTTP {}); retrying once with fresh ones",
                  host, resp.status);
  } else {
    creds = creds_.get(host);
  }
  auto fresh = authorize(host, scope, resp, creds, https);
  if (!fresh) return resp;
  req.headers.set("Authorization", *fresh);
  http::Response second = http_.send(req);
  if (!rejected(second) || header) return second;
  // First attempt used stored credentials and they were rejected: refresh once.
  {
    std::lock_guard lock(mu_);
    cache_.erase(key);
  }
  auto refreshed = creds_.refresh(host);
  if (!refreshed) return second;
  auto again = authorize(host, scope, second, refreshed, https);
  if (!again) return second;
  req.headers.set("Authorization", *again);
  return http_.send(req);
}

RegistryClient::RegistryClient(http::HttpClient& http, AuthClient& auth, RegistryOptions opts)
    : http_(http), auth_(auth), opts_(opts) {}

std::string RegistryClient::base_url(const Reference& ref) const {
  return std::string(opts_.plain_http ? "http://" : "https://") + ref.registry;
}

http::Response RegistryClient::get(const Reference& ref, http::Request req) {
  const std::string scope = scope_for_pull(ref.repository);
  auto origin = http::parse_url(base_url(ref));
  if (!origin) fail(ErrorKind::kInvalidInput, "registry host '{}' is not valid", ref.registry);
  http::Response resp = auth_.send(ref.registry, scope, req);
  // A registry briefly unable to answer (429, 502, 503, 504) is asked again
  // after a backoff (its Retry-After, capped), as Helm's and oras' retrying
  // transport does. Only answers are retried: the sink saw none of their
  // bytes (it sees 2xx bodies only), so nothing is written twice.
  thread_local std::mt19937_64 rng{std::random_device{}()};
  for (int retry = 1; retry < kRegistryBackoff.max_attempts && transient_status(resp.status);
       ++retry) {
    auto after = resp.headers.get("Retry-After");
    auto wait = http::retry_delay(
        kRegistryBackoff, retry, rng,
        after ? http::parse_retry_after(*after, SystemClock::instance().now()) : std::nullopt);
    spdlog::debug("registry {}: HTTP {}; trying again in {} ms", ref.registry, resp.status,
                  wait.count());
    std::this_thread::sleep_for(wait);
    resp = auth_.send(ref.registry, scope, req);
  }
  for (int hop = 0; hop < kMaxRedirects; ++hop) {
    if (resp.status < 300 || resp.status >= 400 || resp.status == 304) return resp;
    auto location = resp.headers.get("Location");
    if (!location) return resp;
    auto current = http::parse_url(req.url);
    auto next = current ? http::resolve_reference(*current, *location) : std::nullopt;
    auto next_url = next ? http::parse_url(*next) : std::nullopt;
    if (!next_url) {
      fail(ErrorKind::kRemote, "registry {} redirected to an invalid location", ref.registry);
    }
    if (current && current->scheme == "https" && next_url->scheme == "http") {
      fail(ErrorKind::kRemote, "registry {} redirected from https to http ({}); refused",
           ref.registry, http::redact_url(*next));
    }
    req.url = *next;
    spdlog::debug("registry {}: following redirect to {}", ref.registry, http::redact_url(*next));
    if (next_url->same_origin(*origin)) {
      resp = auth_.send(ref.registry, scope, req);
    } else {
      // Another origin (e.g. a presigned S3 URL): never send our credentials.
      req.headers.remove("Authorization");
      resp = http_.send(req);
    }
  }
  fail(ErrorKind::kRemote, "registry {}: more than {} redirects", ref.registry, kMaxRedirects);
}

FetchedManifest RegistryClient::get_manifest(const Reference& ref, const std::string& tag_or_digest,
                                             const std::string& expect_digest) {
  http::Request req;
  req.url = base_url(ref) + "/v2/" + ref.repository + "/manifests/" + tag_or_digest;
  req.headers.add("Accept", std::string(kManifestAcceptHeader));
  req.max_response_bytes = kMaxManifestBytes;
  // How errors name it: name:tag, or name@sha256:... for a digest.
  const std::string at = (tag_or_digest.find(':') != std::string::npos ? "@" : ":") + tag_or_digest;
  http::Response resp = get(ref, req);  // over kMaxManifestBytes: an error naming URL and limit
  if (resp.status != 200) {
    fail_status(fmt::format("manifest {}/{}{}", ref.registry, ref.repository, at), resp,
                auth_.credential_source(ref.registry));
  }
  FetchedManifest m;
  m.body = std::move(resp.body);
  std::string claimed = expect_digest;
  if (claimed.empty()) claimed = resp.headers.get("Docker-Content-Digest").value_or("");
  std::string algorithm = claimed.empty() ? "sha256" : DigestHasher::algorithm_of(claimed);
  if (algorithm != "sha256" && algorithm != "sha512") {
    fail(ErrorKind::kRemote, "manifest {}: unsupported digest '{}'", tag_or_digest, claimed);
  }
  m.digest = digest_of(algorithm, m.body);
  if (!claimed.empty() && m.digest != claimed) {
    fail(ErrorKind::kRemote, "manifest {}/{}{} does not match its digest: expected {}, got {}",
         ref.registry, ref.repository, at, claimed, m.digest);
  }
  m.media_type = resp.headers.get("Content-Type").value_or("");
  if (auto semi = m.media_type.find(';'); semi != std::string::npos) m.media_type.resize(semi);
  m.media_type = std::string(trim(m.media_type));
  return m;
}

void RegistryClient::fetch_blob(const Reference& ref, const Descriptor& d,
                                const http::BodySink& sink, int64_t max_bytes) {
  if (d.size < 0 || d.size > max_bytes) {
    fail(ErrorKind::kRemote,
         "blob {}/{}@{} declares {} bytes, over the {} byte limit; refused before downloading",
         ref.registry, ref.repository, d.digest, d.size, max_bytes);
  }
  // Large blobs are hashed on a second thread (overlapping the transfer);
  // small ones inline, where a thread would cost more than it saves.
  const std::string algorithm = DigestHasher::algorithm_of(d.digest);
  std::optional<DigestHasher> inline_hasher;
  std::optional<BackgroundHasher> background_hasher;
  if (d.size > kBackgroundHashMinBytes)
    background_hasher.emplace(algorithm);
  else
    inline_hasher.emplace(algorithm);
  int64_t received = 0;
  bool oversize = false;
  http::Request req;
  req.url = base_url(ref) + "/v2/" + ref.repository + "/blobs/" + d.digest;
  req.timeout = kBlobTimeout;
  req.low_speed_bytes = opts_.blob_low_speed_bytes;
  req.low_speed_time = opts_.blob_low_speed_time;
  req.sink = [&](std::string_view chunk) {
    received += int64_t(chunk.size());
    if (received > d.size) {
      oversize = true;
      return false;
    }
    if (background_hasher)
      background_hasher->update(chunk);
    else
      inline_hasher->update(chunk);
    return sink(chunk);
  };
  http::Response resp;
  try {
    resp = get(ref, req);
  } catch (const Error& e) {
    if (oversize) {
      fail(ErrorKind::kRemote, "blob {} is larger than its manifest says ({} bytes); refused",
           d.digest, d.size);
    }
    // A transfer that broke (reset, truncated, stalled, redirect loop) names
    // the blob as an HTTP error does: registry/repository@digest.
    throw Error(e.kind(),
                fmt::format("blob {}/{}@{}: {}", ref.registry, ref.repository, d.digest, e.what()));
  }
  if (resp.status != 200) {
    fail_status(fmt::format("blob {}/{}@{}", ref.registry, ref.repository, d.digest), resp,
                auth_.credential_source(ref.registry));
  }
  if (received != d.size) {
    fail(ErrorKind::kRemote, "blob {} has {} bytes but its manifest says {}", d.digest, received,
         d.size);
  }
  std::string got = background_hasher ? background_hasher->finish() : inline_hasher->finish();
  if (got != d.digest) {
    fail(ErrorKind::kRemote, "blob does not match its digest: expected {}, got {}", d.digest, got);
  }
}

std::string RegistryClient::fetch_blob_bytes(const Reference& ref, const Descriptor& d,
                                             size_t max_bytes) {
  std::string out;
  fetch_blob(
      ref, d,
      [&](std::string_view chunk) {
        out.append(chunk);
        return true;
      },
      int64_t(max_bytes));
  return out;
}

std::vector<std::string> RegistryClient::list_tags(const Reference& ref) {
  std::vector<std::string> tags;
  auto origin = http::parse_url(base_url(ref));
  std::string url = base_url(ref) + "/v2/" + ref.repository + "/tags/list";
  for (int page = 0; page < kMaxTagPages; ++page) {
    http::Request req;
    req.url = url;
    req.max_response_bytes = kMaxTagListPageBytes;
    http::Response resp = get(ref, req);
    if (resp.status != 200) {
      fail_status(fmt::format("tag list of {}/{}", ref.registry, ref.repository), resp,
                  auth_.credential_source(ref.registry));
    }
    auto j = nlohmann::json::parse(resp.body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      fail(ErrorKind::kRemote, "tag list of {} is not a JSON object", ref.repository);
    }
    if (j.contains("tags") && j["tags"].is_array()) {
      for (const auto& t : j["tags"]) {
        if (!t.is_string()) continue;
        tags.push_back(t.get<std::string>());
        if (tags.size() > kMaxTags) {
          fail(ErrorKind::kRemote, "tag list of {} has more than {} tags", ref.repository,
               kMaxTags);
        }
      }
    }
    auto link = resp.headers.get("Link");
    auto next = link ? next_link(*link) : std::nullopt;
    if (!next) return tags;
    auto cur = http::parse_url(url);
    auto resolved = cur ? http::resolve_reference(*cur, *next) : std::nullopt;
    auto next_url = resolved ? http::parse_url(*resolved) : std::nullopt;
    if (!next_url || !next_url->same_origin(*origin)) {
      fail(ErrorKind::kRemote, "tag list of {} links to another origin; refused", ref.repository);
    }
    url = *resolved;
  }
  fail(ErrorKind::kRemote, "tag list of {} has more than {} pages", ref.repository, kMaxTagPages);
}

}  // namespace ecrhelm::oci
