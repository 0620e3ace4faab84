// base64 / hex / percent-encoding: RFC vectors, round trips and every way the
// decoders must refuse input.
#include "util/encoding.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace ecrhelm {
namespace {

std::string random_string(std::mt19937_64& rng, size_t n) {
  std::uniform_int_distribution<int> byte(0, 255);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(byte(rng));
  return s;
}

std::string to_url_alphabet(std::string s) {
  for (char& c : s) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return s;
}

std::string strip_padding(std::string s) {
  while (!s.empty() && s.back() == '=') s.pop_back();
  return s;
}

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded) << plain;
    auto decoded = base64_decode(encoded);
    ASSERT_TRUE(decoded.has_value()) << encoded;
    EXPECT_EQ(*decoded, plain);
  }
}

TEST(Base64, EncodesAllByteValuesWithTheStandardAlphabet) {
  EXPECT_EQ(base64_encode(std::string("\xfb\xff\xbf", 3)), "+/+/");
  EXPECT_EQ(base64_encode(std::string("\0\0\0", 3)), "AAAA");
  EXPECT_EQ(base64_encode(std::string("\xff", 1)), "/w==");
}

TEST(Base64, RoundTripsRandomBytesOfEveryLengthUpTo64) {
  std::mt19937_64 rng(20261128);
  for (size_t len = 0; len <= 64; ++len) {
    for (int trial = 0; trial < 20; ++trial) {
      std::string bytes = random_string(rng, len);
      std::string enc = base64_encode(bytes);
      EXPECT_EQ(enc.size(), (len + 2) / 3 * 4) << len;
      EXPECT_EQ(enc.size() % 4, 0u);
      auto dec = base64_decode(enc);
      ASSERT_TRUE(dec.has_value()) << "len " << len << " " << enc;
      EXPECT_EQ(*dec, bytes) << "len " << len;

      // Unpadded, URL-safe and both must decode to the same bytes.
      auto unpadded = base64_decode(strip_padding(enc));
      ASSERT_TRUE(unpadded.has_value()) << enc;
      EXPECT_EQ(*unpadded, bytes);
      auto url = base64_decode(to_url_alphabet(enc));
      ASSERT_TRUE(url.has_value()) << enc;
      EXPECT_EQ(*url, bytes);
      auto url_unpadded = base64_decode(strip_padding(to_url_alphabet(enc)));
      ASSERT_TRUE(url_unpadded.has_value()) << enc;
      EXPECT_EQ(*url_unpadded, bytes);
    }
  }
}

TEST(Base64, DecodesUrlSafeAlphabet) {
  EXPECT_EQ(base64_decode("-_-_"), std::string("\xfb\xff\xbf", 3));
  EXPECT_EQ(base64_decode("_w"), std::string("\xff", 1));
  EXPECT_EQ(base64_decode("_w=="), std::string("\xff", 1));
}

TEST(Base64, DecodesUnpaddedInput) {
  EXPECT_EQ(base64_decode("Zg"), "f");
  EXPECT_EQ(base64_decode("Zm8"), "fo");
  EXPECT_EQ(base64_decode("Zm9vYg"), "foob");
}

TEST(Base64, RejectsInvalidCharacters) {
  for (const char* bad : {"Zm9v!", "Zm 9v", "Zm9v\n", "Zm9\x80", "Zm.v", "*AAA"}) {
    EXPECT_FALSE(base64_decode(bad).has_value()) << bad;
  }
  EXPECT_FALSE(base64_decode(std::string("AA\0A", 4)).has_value());
}

TEST(Base64, RejectsImpossibleLengths) {
  // 4k+1 significant characters cannot come from any byte string.
  for (const char* bad : {"A", "AAAAA", "Zm9vY", "Zm9vY=", "Zm9vY==", "Zm9vY==="}) {
    EXPECT_FALSE(base64_decode(bad).has_value()) << bad;
  }
}

TEST(Base64, RejectsPaddingInTheMiddle) {
  for (const char* bad : {"Zg==Zg==", "Zg=a", "Z=g=", "=Zg=", "Zm=v", "Zg==Zm8="}) {
    EXPECT_FALSE(base64_decode(bad).has_value()) << bad;
  }
}

TEST(Base64, RejectsMalformedPadding) {
  // Only "xx==" and "xxx=" complete a group; anything else is not base64.
  for (const char* bad :
       {"=", "==", "===", "====", "Zg=", "Zg===", "Zg====", "Zm8==", "Zm9v=", "Zm9v===="}) {
    EXPECT_FALSE(base64_decode(bad).has_value()) << bad;
  }
  EXPECT_EQ(base64_decode("Zg=="), "f");
  EXPECT_EQ(base64_decode("Zm8="), "fo");
}

TEST(Base64, DecodesEmptyInputToEmptyString) {
  auto d = base64_decode("");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(*d, "");
}

TEST(Base64, DecodesADockerAuthString) {
  // What ECR's GetAuthorizationToken returns: base64("AWS:<password>").
  std::string auth = base64_encode("AWS:eyJwYXlsb2FkIjoiIn0=");
  EXPECT_EQ(base64_decode(auth), "AWS:eyJwYXlsb2FkIjoiIn0=");
}

TEST(Hex, EncodesLowerCase) {
  EXPECT_EQ(hex_encode(""), "");
  EXPECT_EQ(hex_encode(std::string("\x00\x01\x7f\x80\xff", 5)), "00017f80ff");
  EXPECT_EQ(hex_encode("AZ"), "415a");
}

TEST(Hex, EncodesEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  std::string hex = hex_encode(all);
  ASSERT_EQ(hex.size(), 512u);
  for (int i = 0; i < 256; ++i) {
    EXPECT_EQ(std::stoi(hex.substr(size_t(i) * 2, 2), nullptr, 16), i);
  }
  EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(UriEncode, KeepsTheUnreservedSet) {
  const std::string unreserved =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~";
  EXPECT_EQ(uri_encode(unreserved), unreserved);
  EXPECT_EQ(uri_encode(unreserved, false), unreserved);
}

TEST(UriEncode, EncodesEverythingElseWithUpperCaseHex) {
  for (int i = 0; i < 256; ++i) {
    char c = static_cast<char>(i);
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved) continue;
    std::string enc = uri_encode(std::string(1, c));
    ASSERT_EQ(enc.size(), 3u) << i;
    EXPECT_EQ(enc[0], '%');
    EXPECT_EQ(enc.find_first_not_of("%0123456789ABCDEF"), std::string::npos) << enc;
    EXPECT_EQ(std::stoi(enc.substr(1), nullptr, 16), i);
  }
}

TEST(UriEncode, SlashDependsOnTheFlag) {
  EXPECT_EQ(uri_encode("a/b"), "a%2Fb");
  EXPECT_EQ(uri_encode("a/b", true), "a%2Fb");
  EXPECT_EQ(uri_encode("/a/b/", false), "/a/b/");
}

TEST(UriEncode, SpaceAndReservedCharacters) {
  EXPECT_EQ(uri_encode("a b"), "a%20b");  // never '+'
  EXPECT_EQ(uri_encode("a+b"), "a%2Bb");
  EXPECT_EQ(uri_encode("k=v&x=y"), "k%3Dv%26x%3Dy");
  EXPECT_EQ(uri_encode("100%"), "100%25");
  EXPECT_EQ(uri_encode(""), "");
}

TEST(UriEncode, Utf8BytesAreEncodedOneByOne) {
  EXPECT_EQ(uri_encode("\xc3\xa9"), "%C3%A9");                // é
  EXPECT_EQ(uri_encode("\xe2\x82\xac 1"), "%E2%82%AC%201");   // € 1
  EXPECT_EQ(uri_encode("\xf0\x9f\x98\x80"), "%F0%9F%98%80");  // emoji
}

TEST(UriDecode, DecodesEscapesInEitherCase) {
  EXPECT_EQ(uri_decode("a%20b"), "a b");
  EXPECT_EQ(uri_decode("%2f%2F"), "//");
  EXPECT_EQ(uri_decode("%C3%A9"), "\xc3\xa9");
  EXPECT_EQ(uri_decode("%00"), std::string(1, '\0'));
  EXPECT_EQ(uri_decode("%ff"), std::string(1, '\xff'));
  EXPECT_EQ(uri_decode(""), "");
  EXPECT_EQ(uri_decode("plain"), "plain");
}

TEST(UriDecode, PlusIsSpaceOnlyWhenAsked) {
  EXPECT_EQ(uri_decode("a+b"), "a+b");
  EXPECT_EQ(uri_decode("a+b", false), "a+b");
  EXPECT_EQ(uri_decode("a+b", true), "a b");
  EXPECT_EQ(uri_decode("a%2Bb", true), "a+b");
}

TEST(UriDecode, RejectsBadEscapes) {
  for (const char* bad :
       {"%", "%4", "%zz", "%4g", "%g4", "a%", "a%4", "abc%2", "%%", "%%41", "% 41", "%-1"}) {
    EXPECT_FALSE(uri_decode(bad).has_value()) << bad;
    EXPECT_FALSE(uri_decode(bad, true).has_value()) << bad;
  }
}

TEST(UriDecode, EscapeAtTheVeryEndIsDecoded) {
  EXPECT_EQ(uri_decode("a%41"), "aA");
  EXPECT_EQ(uri_decode("%41"), "A");
  EXPECT_EQ(uri_decode("%41%42"), "AB");
}

TEST(UriDecode, DoesNotDecodeTwice) { EXPECT_EQ(uri_decode("%2541"), "%41"); }

TEST(UriEncodeDecode, RoundTripRandomBytes) {
  std::mt19937_64 rng(7);
  for (size_t len = 0; len <= 64; ++len) {
    std::string s = random_string(rng, len);
    EXPECT_EQ(uri_decode(uri_encode(s)), s);
    EXPECT_EQ(uri_decode(uri_encode(s, false)), s);
    EXPECT_EQ(uri_decode(uri_encode(s), true), s);
  }
}

}  // namespace
}  // namespace ecrhelm
