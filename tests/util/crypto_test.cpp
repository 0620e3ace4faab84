// sha256, HMAC-SHA256 (FIPS 180-4 and RFC 4231 vectors), random bytes and the
// streaming digest hasher.
#include "util/crypto.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <set>
#include <string>

#include "util/encoding.h"
#include "util/error.h"
#include "util/hasher.h"

namespace ecrhelm {
namespace {

std::string hmac_hex(std::string_view key, std::string_view data) {
  return hex_encode(hmac_sha256(key, data));
}

TEST(Sha256, FipsVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, RawDigestIs32BytesAndMatchesHex) {
  std::string raw = sha256("abc");
  ASSERT_EQ(raw.size(), 32u);
  EXPECT_EQ(hex_encode(raw), sha256_hex("abc"));
}

TEST(Sha256, HashesEmbeddedNulBytes) {
  EXPECT_NE(sha256_hex(std::string("a\0b", 3)), sha256_hex("a"));
  EXPECT_NE(sha256_hex(std::string("\0", 1)), sha256_hex(""));
}

TEST(HmacSha256, Rfc4231Case1) {
  EXPECT_EQ(hmac_hex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(HmacSha256, Rfc4231Case2ShortKey) {
  EXPECT_EQ(hmac_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HmacSha256, Rfc4231Case3) {
  EXPECT_EQ(hmac_hex(std::string(20, '\xaa'), std::string(50, '\xdd')),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
}

TEST(HmacSha256, Rfc4231Case4) {
  std::string key;
  for (int i = 1; i <= 25; ++i) key += static_cast<char>(i);
  EXPECT_EQ(hmac_hex(key, std::string(50, '\xcd')),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
}

TEST(HmacSha256, Rfc4231Case5Truncated) {
  EXPECT_EQ(hmac_hex(std::string(20, '\x0c'), "Test With Truncation").substr(0, 32),
            "a3b6167473100ee06e0c796c2955552b");
}

TEST(HmacSha256, Rfc4231Case6KeyLargerThanBlock) {
  EXPECT_EQ(
      hmac_hex(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First"),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HmacSha256, Rfc4231Case7KeyAndDataLargerThanBlock) {
  EXPECT_EQ(hmac_hex(std::string(131, '\xaa'),
                     "This is a test using a larger than block-size key and a larger than "
                     "block-size data. The key needs to be hashed before being used by the HMAC "
                     "algorithm."),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST(HmacSha256, EmptyKeyAndData) {
  // HMAC-SHA256("", "") is a well-known constant.
  EXPECT_EQ(hmac_hex("", ""), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  EXPECT_EQ(hmac_sha256("k", "").size(), 32u);
}

TEST(HmacSha256, SigV4SigningKeyDerivation) {
  // AWS documentation's example of deriving a SigV4 signing key.
  std::string k = hmac_sha256("AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215");
  EXPECT_EQ(hex_encode(k), "969fbb94feb542b71ede6f87fe4d5fa29c789342b0f407474670f0c2489e0a0d");
  k = hmac_sha256(k, "us-east-1");
  EXPECT_EQ(hex_encode(k), "69daa0209cd9c5ff5c8ced464a696fd4252e981430b10e3d3fd8e2f197d7a70c");
  k = hmac_sha256(k, "iam");
  EXPECT_EQ(hex_encode(k), "f72cfd46f26bc4643f06a11eabb6c0ba18780c19a8da0c31ace671265e3c87fa");
  k = hmac_sha256(k, "aws4_request");
  EXPECT_EQ(hex_encode(k), "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

// Our HMAC over SHA256_* against OpenSSL's EVP HMAC, for every key and data
// length around the 64-byte block (keys hashed when longer than a block).
TEST(HmacSha256, AgreesWithOpenSslEvpForKeyAndDataLengthsAroundTheBlock) {
  for (size_t klen : {0, 1, 31, 32, 63, 64, 65, 127, 128, 200}) {
    for (size_t dlen : {0, 1, 55, 56, 63, 64, 65, 119, 120, 1000}) {
      std::string key = random_bytes(klen);
      std::string data = random_bytes(dlen);
      unsigned char want[EVP_MAX_MD_SIZE];
      unsigned int len = 0;
      ASSERT_NE(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                     reinterpret_cast<const unsigned char*>(data.data()), data.size(), want, &len),
                nullptr);
      EXPECT_EQ(hex_encode(hmac_sha256(key, data)),
                hex_encode(std::string(reinterpret_cast<const char*>(want), len)))
          << "key " << klen << " bytes, data " << dlen << " bytes";
    }
  }
}

TEST(RandomBytes, HasTheRequestedLengthAndVaries) {
  EXPECT_EQ(random_bytes(0), "");
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    std::string r = random_bytes(16);
    ASSERT_EQ(r.size(), 16u);
    seen.insert(r);
  }
  EXPECT_EQ(seen.size(), 50u);
  EXPECT_EQ(random_bytes(4096).size(), 4096u);
}

TEST(DigestHasher, OneShotMatchesKnownDigests) {
  EXPECT_EQ(digest_of("sha256", "abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(digest_of("sha512", "abc"),
            "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

TEST(DigestHasher, IncrementalEqualsOneShot) {
  std::string data;
  for (int i = 0; i < 100000; ++i) data += static_cast<char>(i * 31);
  DigestHasher h("sha256");
  for (size_t off = 0; off < data.size(); off += 777)
    h.update(std::string_view(data).substr(off, 777));
  h.update("");
  EXPECT_EQ(h.finish(), "sha256:" + sha256_hex(data));
}

TEST(DigestHasher, RejectsUnknownAlgorithm) {
  try {
    DigestHasher h("md5");
    FAIL() << "md5 accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_NE(std::string(e.what()).find("md5"), std::string::npos) << e.what();
  }
}

TEST(DigestHasher, CannotBeUsedAfterFinish) {
  DigestHasher h("sha256");
  h.update("x");
  h.finish();
  EXPECT_THROW(h.update("y"), Error);
  EXPECT_THROW(h.finish(), Error);
}

TEST(DigestHasher, AlgorithmOf) {
  EXPECT_EQ(DigestHasher::algorithm_of("sha256:abc"), "sha256");
  EXPECT_EQ(DigestHasher::algorithm_of("sha512:"), "sha512");
  EXPECT_EQ(DigestHasher::algorithm_of("abc"), "");
  EXPECT_EQ(DigestHasher::algorithm_of(""), "");
}

}  // namespace
}  // namespace ecrhelm
