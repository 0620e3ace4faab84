// AWS credentials and the provider interface every source implements (one
// small class per source, as in Envoy's extensions/common/aws), plus the
// cache that refreshes ahead of expiry.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "util/secret.h"
#include "util/time.h"

namespace ecrhelm::aws {

struct Credentials {
  std::string access_key_id;
  Secret secret_access_key;
  Secret session_token;                 // empty for long-term keys
  std::optional<TimePoint> expiration;  // nullopt: does not expire
  std::string source;                   // where they came from, for people: "environment", ...
  std::string account_id;               // when the source says (container, process, STS ARN)
};

class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // nullopt: this source is not configured here and a chain moves on.
  // Throws Error when the source is configured but fails: a broken source is
  // reported, not skipped (botocore's behaviour).
  virtual std::optional<Credentials> load() = 0;
  // Short name for messages: "environment", "web-identity", "imds", ...
  virtual std::string name() const = 0;
};

// Always the same credentials (tests, explicit keys from a Kubernetes secret).
class StaticProvider final : public CredentialsProvider {
 public:
  explicit StaticProvider(Credentials c) : creds_(std::move(c)) {}
  std::optional<Credentials> load() override { return creds_; }
  std::string name() const override { return creds_.source.empty() ? "static" : creds_.source; }

 private:
  Credentials creds_;
};

// How long before Expiration cached credentials are refreshed (aws-c-auth: 5 min).
inline constexpr std::chrono::seconds kRefreshAhead{300};

// Caches what the inner provider returns until kRefreshAhead before its
// expiration; credentials without expiration are kept for the life of the
// cache. Thread-safe: concurrent callers share one refresh.
class CachingProvider final : public CredentialsProvider {
 public:
  CachingProvider(std::unique_ptr<CredentialsProvider> inner, const Clock& clock);
  std::optional<Credentials> load() override;
  std::string name() const override { return inner_->name(); }
  void invalidate();  // e.g. after the peer said the credentials are expired

 private:
  std::unique_ptr<CredentialsProvider> inner_;
  const Clock& clock_;
  std::mutex mu_;
  std::optional<Credentials> cached_;
};

// Throws when credentials are missing: the one-line message lists what was tried.
Credentials require(CredentialsProvider& provider);

}  // namespace ecrhelm::aws
