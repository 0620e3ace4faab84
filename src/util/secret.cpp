#include "util/secret.h"

#include <openssl/crypto.h>

namespace ecrhelm {

Secret::~Secret() {
  if (!value_.empty()) OPENSSL_cleanse(value_.data(), value_.size());
}

bool Secret::operator==(const Secret& other) const {
  return value_.size() == other.value_.size() &&
         CRYPTO_memcmp(value_.data(), other.value_.data(), value_.size()) == 0;
}

std::string redact(std::string text, const std::vector<const Secret*>& secrets) {
  for (const Secret* s : secrets) {
    if (!s || s->reveal().size() < kMinRedactedLength) continue;
    const std::string& v = s->reveal();
    for (size_t pos = 0; (pos = text.find(v, pos)) != std::string::npos;) {
      text.replace(pos, v.size(), "<redacted>");
      pos += 10;
    }
  }
  return text;
}

}  // namespace ecrhelm
