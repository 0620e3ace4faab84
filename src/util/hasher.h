// Incremental digests for content verified while it streams (OCI blobs and
// manifests): sha256 and sha512, in the "algorithm:hex" form OCI uses.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace ecrhelm {

class DigestHasher {
 public:
  // algorithm: "sha256" or "sha512"; throws Error(kInvalidInput) otherwise.
  explicit DigestHasher(std::string_view algorithm);
  ~DigestHasher();
  DigestHasher(const DigestHasher&) = delete;
  DigestHasher& operator=(const DigestHasher&) = delete;

  void update(std::string_view data);
  // "sha256:<hex>"; the hasher cannot be updated afterwards.
  std::string finish();
  // The algorithm part of a digest string ("sha256" from "sha256:abc..."), or "".
  static std::string algorithm_of(std::string_view digest);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One-shot: "sha256:<hex>" of data.
std::string digest_of(std::string_view algorithm, std::string_view data);

}  // namespace ecrhelm
