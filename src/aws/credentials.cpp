#include "aws/credentials.h"

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
  if (fresh) cached_ = fresh;
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
