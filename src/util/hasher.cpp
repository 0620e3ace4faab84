#include "util/hasher.h"

#include <openssl/evp.h>

#include "util/encoding.h"
#include "util/error.h"

namespace ecrhelm {

struct DigestHasher::Impl {
  EVP_MD_CTX* ctx = nullptr;
  std::string algorithm;
  bool finished = false;
};

DigestHasher::DigestHasher(std::string_view algorithm) : impl_(std::make_unique<Impl>()) {
  const EVP_MD* md = nullptr;
  if (algorithm == "sha256")
    md = EVP_sha256();
  else if (algorithm == "sha512")
    md = EVP_sha512();
  else
    fail(ErrorKind::kInvalidInput, "digest algorithm '{}' is not supported; use sha256 or sha512",
         algorithm);
  impl_->algorithm = std::string(algorithm);
  impl_->ctx = EVP_MD_CTX_new();
  if (!impl_->ctx || EVP_DigestInit_ex(impl_->ctx, md, nullptr) != 1)
    fail(ErrorKind::kInternal, "OpenSSL digest init failed");
}

DigestHasher::~DigestHasher() {
  if (impl_ && impl_->ctx) EVP_MD_CTX_free(impl_->ctx);
}

void DigestHasher::update(std::string_view data) {
  if (impl_->finished) fail(ErrorKind::kInternal, "DigestHasher updated after finish");
  if (!data.empty() && EVP_DigestUpdate(impl_->ctx, data.data(), data.size()) != 1)
    fail(ErrorKind::kInternal, "OpenSSL digest update failed");
}

std::string DigestHasher::finish() {
  if (impl_->finished) fail(ErrorKind::kInternal, "DigestHasher finished twice");
  impl_->finished = true;
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(impl_->ctx, out, &len) != 1)
    fail(ErrorKind::kInternal, "OpenSSL digest final failed");
  return impl_->algorithm + ":" +
         hex_encode(std::string_view(reinterpret_cast<const char*>(out), len));
}

std::string DigestHasher::algorithm_of(std::string_view digest) {
  auto colon = digest.find(':');
  if (colon == std::string_view::npos) return "";
  return std::string(digest.substr(0, colon));
}

std::string digest_of(std::string_view algorithm, std::string_view data) {
  DigestHasher h(algorithm);
  h.update(data);
  return h.finish();
}

}  // namespace ecrhelm
