// The registry side of a pull, in two parts as oras-go does it: AuthClient
// answers challenges (Basic; Bearer with realm/service/scope) and caches
// tokens per scope; RegistryClient speaks the distribution API (manifests,
// blobs, tag lists) over it, following redirects itself so credentials
// never reach another origin (ECR sends blob GETs to presigned S3 URLs).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "http/client.h"
#include "http/retry.h"
#include "oci/manifest.h"
#include "oci/reference.h"
#include "oci/registry_credentials.h"
#include "util/time.h"

namespace ecrhelm::oci {

inline constexpr int kMaxRedirects = 5;
inline constexpr size_t kMaxTokenResponseBytes = 1 << 20;  // bearer token answers
inline constexpr size_t kMaxTagListPageBytes = 4 << 20;
inline constexpr int kMaxTagPages = 1000;
inline constexpr size_t kMaxTags = 100000;
inline constexpr std::chrono::seconds kDefaultBearerLifetime{60};  // distribution's default
inline constexpr int64_t kBackgroundHashMinBytes = 4 << 20;  // larger blobs hash on a 2nd thread
// A blob download slower than this for this long has stalled: it ends with an
// error instead of waiting for the 30-minute total timeout.
inline constexpr long kBlobLowSpeedBytesPerSecond = 1024;
inline constexpr std::chrono::seconds kBlobLowSpeedTime{30};
inline constexpr std::chrono::minutes kBlobTimeout{30};
// Tries of one registry request answered 429/502/503/504, and the waits
// between them: at most 2 retries, 20 s of waiting in all.
inline constexpr http::BackoffPolicy kRegistryBackoff{3, std::chrono::milliseconds(500),
                                                      std::chrono::milliseconds(4000),
                                                      std::chrono::milliseconds(10000)};

struct RegistryOptions {
  bool plain_http = false;  // http:// instead of https://
  long blob_low_speed_bytes = kBlobLowSpeedBytesPerSecond;
  std::chrono::seconds blob_low_speed_time = kBlobLowSpeedTime;
};

class AuthClient {
 public:
  AuthClient(http::HttpClient& http, RegistryCredentials& creds, const Clock& clock);
  // Sends req to the registry `host` (its URL must be on that host) for
  // `scope`, adding cached authorization; on 401 answers the challenge and
  // retries once; on a rejected login (401 after auth, or ECR's expired-token
  // 403) refreshes the credentials once and retries once. Never loops.
  http::Response send(const std::string& host, const std::string& scope, http::Request req);
  std::string credential_source(const std::string& host) { return creds_.source(host); }

 private:
  std::optional<std::string> authorize(const std::string& host, const std::string& scope,
                                       const http::Response& challenge_resp,
                                       const std::optional<BasicCredentials>& creds,
                                       bool registry_https);
  std::string bearer_token(const std::string& host,
                           const std::map<std::string, std::string>& params,
                           const std::string& scope, const std::optional<BasicCredentials>& creds);

  http::HttpClient& http_;
  RegistryCredentials& creds_;
  const Clock& clock_;
  struct CachedAuth {
    std::string header;  // full Authorization value
    TimePoint expires;
  };
  std::mutex mu_;
  std::map<std::string, CachedAuth> cache_;  // host + " " + scope
};

struct FetchedManifest {
  std::string digest;      // verified
  std::string media_type;  // from Content-Type or the body
  std::string body;
};

class RegistryClient {
 public:
  RegistryClient(http::HttpClient& http, AuthClient& auth, RegistryOptions opts);

  // GET a manifest by tag or digest; verified against `expect_digest` when
  // given, else against Docker-Content-Digest when the registry sends one.
  FetchedManifest get_manifest(const Reference& ref, const std::string& tag_or_digest,
                               const std::string& expect_digest = "");
  // Streams a blob to sink, verifying digest and size while it streams.
  // A descriptor declaring more than max_bytes is refused before the first
  // byte. Throws (and the sink has seen partial data) on any mismatch.
  void fetch_blob(const Reference& ref, const Descriptor& d, const http::BodySink& sink,
                  int64_t max_bytes);
  // A small blob in memory (configs, provenance), size-capped.
  std::string fetch_blob_bytes(const Reference& ref, const Descriptor& d, size_t max_bytes);
  // Every tag, following Link pages on the same origin, capped.
  std::vector<std::string> list_tags(const Reference& ref);

  std::string base_url(const Reference& ref) const;

 private:
  // GET with manual redirects: Authorization only to the registry's origin.
  http::Response get(const Reference& ref, http::Request req);

  http::HttpClient& http_;
  AuthClient& auth_;
  RegistryOptions opts_;
};

}  // namespace ecrhelm::oci
