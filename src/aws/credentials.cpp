#include "aws/credentials.h"

#include <spdlog/spdlog.h>

#include "util/error.h"

namespace ecrhelm::aws {

CachingProvider::CachingProvider(std::unique_ptr<CredentialsProvider> inner, const Clock& clock)
    : inner_(std::move(inner)), clock_(clock) {}

std::optional<Credentials> CachingProvider::load() {
  std::lock_guard lock(mu_);
  if (cached_ && (!cached_->expiration || clock_.now() + kRefreshAhead < *cached_->expiration)) {
    return cached_;
  }
  auto fresh = inner_->load();
  if (!fresh) return fresh;
  TimePoint now = clock_.now();
  if (fresh->expiration && *fresh->expiration <= now) {
    // As botocore: credentials still expired after a refresh are refused
    // (they would only be rejected by AWS, less clearly). Instance metadata
    // is the exception, as there: an expired answer is used with a warning
    // while the service recovers (EC2's static stability).
    if (!fresh->source.starts_with("imds")) {
      fail(ErrorKind::kUnauthorized,
           "the AWS credentials from {} expired at {} and are still expired after a refresh; "
           "renew them at their source",
           fresh->source.empty() ? inner_->name() : fresh->source,
           format_iso8601(*fresh->expiration));
    }
    spdlog::warn(
        "the AWS credentials from {} expired at {}; using them until the instance "
        "metadata service answers with fresh ones",
        fresh->source, format_iso8601(*fresh->expiration));
    return fresh;  // not cached: asked again next time
  }
  if (fresh->expiration && *fresh->expiration <= now + kRefreshAhead) {
    spdlog::warn("the AWS credentials from {} expire at {}, in less than {} s",
                 fresh->source.empty() ? inner_->name() : fresh->source,
                 format_iso8601(*fresh->expiration), kRefreshAhead.count());
  }
  cached_ = fresh;
  return fresh;
}

void CachingProvider::invalidate() {
  std::lock_guard lock(mu_);
  cached_.reset();
}

Credentials require(CredentialsProvider& provider) {
  auto c = provider.load();
  if (!c) {
    fail(ErrorKind::kNotFound,
         "no AWS credentials found (tried: {}); set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
         "AWS_PROFILE, or AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE (IRSA)",
         provider.name());
  }
  return *c;
}

}  // namespace ecrhelm::aws
