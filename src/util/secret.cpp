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

std::string redact_token_like(std::string_view text) {
  auto token_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/' || c == '=' || c == '_' || c == '-';
  };
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (!token_char(text[i])) {
      out += text[i++];
      continue;
    }
    size_t j = i;
    bool letter = false, digit = false;
    for (; j < text.size() && token_char(text[j]); ++j) {
      char c = text[j];
      digit = digit || (c >= '0' && c <= '9');
      letter = letter || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }
    std::string_view word = text.substr(i, j - i);
    if (word.size() >= kMinTokenLikeLength && letter && digit)
      out += "<redacted>";
    else
      out += word;
    i = j;
  }
  return out;
}

}  // namespace ecrhelm
