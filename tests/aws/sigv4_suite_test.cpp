// Walks the published SigV4 test suite (aws-c-auth's v4 cases) case by case,
// and unit-tests each pure step of the signer on its own.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "aws/sigv4.h"
#include "support/testbed.h"
#include "util/crypto.h"
#include "util/encoding.h"
#include "util/error.h"
#include "util/time.h"

namespace ecrhelm::aws::sigv4 {
namespace {

namespace fs = std::filesystem;

const fs::path kSuiteDir = fs::path(ECRHELM_SOURCE_DIR) / "tests/data/aws-sigv4-suite/v4";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One case of the suite: a folder holding request.txt, context.json and the
// expected outputs of header signing (header-*.txt) and of presigning (query-*.txt).
struct SuiteCase {
  std::string name;  // path below v4/, e.g. "get-vanilla" or "normalize-path/get-slash"
  fs::path dir;
};

std::vector<SuiteCase> discover_cases() {
  std::vector<SuiteCase> out;
  std::error_code ec;
  if (!fs::is_directory(kSuiteDir, ec)) return out;
  for (const auto& entry : fs::recursive_directory_iterator(kSuiteDir, ec)) {
    if (entry.is_directory() && fs::exists(entry.path() / "request.txt")) {
      out.push_back({fs::relative(entry.path(), kSuiteDir).generic_string(), entry.path()});
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

std::string test_name_for(const std::string& case_name) {
  std::string out;
  for (char c : case_name) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

// request.txt: "METHOD target HTTP/1.1", "Name:value" lines (a line starting
// with whitespace continues the previous value), a blank line, the body.
struct RawRequest {
  std::string method;
  std::string target;  // raw path and query as written, e.g. "/example space/"
  std::vector<std::pair<std::string, std::string>> headers;  // values untrimmed
  std::string body;
};

RawRequest parse_request(const std::string& text) {
  RawRequest r;
  size_t pos = 0;
  auto next_line = [&](std::string& line) {
    if (pos >= text.size()) return false;
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    line = text.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    pos = nl + 1;
    return true;
  };
  std::string line;
  next_line(line);
  size_t first = line.find(' '), last = line.rfind(' ');
  r.method = line.substr(0, first);
  r.target = line.substr(first + 1, last - first - 1);
  while (next_line(line) && !line.empty()) {
    if ((line.front() == ' ' || line.front() == '\t') && !r.headers.empty()) {
      r.headers.back().second += "\n" + line;
      continue;
    }
    size_t colon = line.find(':');
    r.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  if (pos < text.size()) r.body = text.substr(pos);
  return r;
}

std::string host_of(const RawRequest& r) {
  for (const auto& [name, value] : r.headers)
    if (name == "Host" || name == "host") return value;
  return "";
}

http::Request to_http_request(const RawRequest& raw) {
  http::Request req;
  req.method = raw.method;
  req.url = "https://" + host_of(raw) + raw.target;
  for (const auto& [name, value] : raw.headers) req.headers.add(name, value);
  req.body = raw.body;
  return req;
}

// The wire form the suite writes its *-signed-request.txt files in.
std::string serialize(const std::string& method, const std::string& target,
                      const http::Headers& headers, const std::string& body) {
  std::string out = method + " " + target + " HTTP/1.1\n";
  for (const auto& e : headers.entries()) out += e.name + ":" + e.value + "\n";
  return out + "\n" + body;
}

struct Context {
  Credentials creds;
  std::string region, service;
  TimePoint time;
  bool normalize = true;
  bool sign_body = false;
  bool omit_session_token = false;
  int expires = 0;
};

Context load_context(const fs::path& dir) {
  auto j = nlohmann::json::parse(read_file(dir / "context.json"));
  Context c;
  c.creds.access_key_id = j.at("credentials").at("access_key_id").get<std::string>();
  c.creds.secret_access_key =
      Secret(j.at("credentials").at("secret_access_key").get<std::string>());
  c.creds.session_token = Secret(j.at("credentials").value("token", ""));
  c.region = j.at("region").get<std::string>();
  c.service = j.at("service").get<std::string>();
  auto t = parse_iso8601(j.at("timestamp").get<std::string>());
  if (!t) throw std::runtime_error("bad timestamp in " + (dir / "context.json").string());
  c.time = *t;
  c.normalize = j.value("normalize", true);
  c.sign_body = j.value("sign_body", false);
  c.omit_session_token = j.value("omit_session_token", false);
  c.expires = j.value("expiration_in_seconds", 3600);
  return c;
}

std::string authorization_line_of(const std::string& signed_request) {
  std::istringstream in(signed_request);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("Authorization:", 0) == 0) return line.substr(strlen("Authorization:"));
  return "";
}

class SigV4Suite : public ::testing::TestWithParam<SuiteCase> {};

// The suite itself must be there: an empty walk would pass vacuously.
TEST(SigV4SuiteFiles, SuiteIsPresentAndComplete) {
  auto cases = discover_cases();
  ASSERT_FALSE(cases.empty()) << "no SigV4 suite cases under " << kSuiteDir;
  for (const auto& c : cases) {
    for (const char* f :
         {"context.json", "header-canonical-request.txt", "header-string-to-sign.txt",
          "header-signature.txt", "header-signed-request.txt"}) {
      EXPECT_TRUE(fs::exists(c.dir / f)) << c.name << " lacks " << f;
    }
  }
}

TEST_P(SigV4Suite, HeaderSigningMatchesEveryStep) {
  const SuiteCase& sc = GetParam();
  const Context ctx = load_context(sc.dir);
  const RawRequest raw = parse_request(read_file(sc.dir / "request.txt"));

  http::Request req = to_http_request(raw);
  SignOptions opts;
  opts.normalize_path = ctx.normalize;
  opts.sign_session_token = !ctx.omit_session_token;
  opts.add_content_sha256 = ctx.sign_body;
  sign(req, ctx.creds, ctx.region, ctx.service, ctx.time, opts);

  // What sign() produced, step by step, through the public pure functions:
  // the headers it signed are the request's minus an unsigned session token.
  http::Headers signed_headers = req.headers;
  if (ctx.omit_session_token) signed_headers.remove("X-Amz-Security-Token");
  CanonicalRequest creq =
      canonical_request(req.method, req.url, signed_headers, req.body, ctx.normalize);
  EXPECT_EQ(creq.text, read_file(sc.dir / "header-canonical-request.txt"));

  const std::string amz_date = format_amz_date(ctx.time);
  const std::string scope = credential_scope(amz_date.substr(0, 8), ctx.region, ctx.service);
  const std::string sts = string_to_sign(amz_date, scope, creq.text);
  EXPECT_EQ(sts, read_file(sc.dir / "header-string-to-sign.txt"));

  const std::string sig = signature(signing_key(ctx.creds.secret_access_key.reveal(),
                                                amz_date.substr(0, 8), ctx.region, ctx.service),
                                    sts);
  EXPECT_EQ(sig, read_file(sc.dir / "header-signature.txt"));

  const std::string expected_signed = read_file(sc.dir / "header-signed-request.txt");
  EXPECT_EQ(req.headers.get("Authorization").value_or(""), authorization_line_of(expected_signed));
  EXPECT_EQ(authorization_header(ctx.creds.access_key_id, scope, creq.signed_headers, sig),
            authorization_line_of(expected_signed));
  EXPECT_EQ(serialize(req.method, raw.target, req.headers, req.body), expected_signed);
}

// The suite's presigned (query-*) variants run through the same pure steps:
// they exercise canonical_query on X-Amz-* parameters and the header list
// without X-Amz-Date. ecrhelm has no presign API, so the URL is built here.
TEST_P(SigV4Suite, QuerySigningMatchesThroughPureSteps) {
  const SuiteCase& sc = GetParam();
  if (!fs::exists(sc.dir / "query-canonical-request.txt")) {
    GTEST_SKIP() << sc.name << " has no query-signing variant";
  }
  const Context ctx = load_context(sc.dir);
  const RawRequest raw = parse_request(read_file(sc.dir / "request.txt"));
  http::Request req = to_http_request(raw);
  const std::string amz_date = format_amz_date(ctx.time);
  const std::string date = amz_date.substr(0, 8);
  const std::string scope = credential_scope(date, ctx.region, ctx.service);

  const std::string signed_header_names =
      canonical_request(req.method, req.url, req.headers, req.body, ctx.normalize).signed_headers;
  std::string auth_params = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" +
                            uri_encode(ctx.creds.access_key_id + "/" + scope) +
                            "&X-Amz-Date=" + amz_date +
                            "&X-Amz-SignedHeaders=" + uri_encode(signed_header_names) +
                            "&X-Amz-Expires=" + std::to_string(ctx.expires);
  const bool has_token = !ctx.creds.session_token.empty();
  const std::string token_param =
      "&X-Amz-Security-Token=" + uri_encode(ctx.creds.session_token.reveal());
  if (has_token && !ctx.omit_session_token) auth_params += token_param;
  const char sep = raw.target.find('?') == std::string::npos ? '?' : '&';
  const std::string presigned_url = req.url + sep + auth_params;

  CanonicalRequest creq =
      canonical_request(req.method, presigned_url, req.headers, req.body, ctx.normalize);
  EXPECT_EQ(creq.text, read_file(sc.dir / "query-canonical-request.txt"));
  const std::string sts = string_to_sign(amz_date, scope, creq.text);
  EXPECT_EQ(sts, read_file(sc.dir / "query-string-to-sign.txt"));
  const std::string sig = signature(
      signing_key(ctx.creds.secret_access_key.reveal(), date, ctx.region, ctx.service), sts);
  EXPECT_EQ(sig, read_file(sc.dir / "query-signature.txt"));

  std::string final_params = auth_params;
  if (has_token && ctx.omit_session_token) final_params += token_param;
  final_params += "&X-Amz-Signature=" + sig;
  EXPECT_EQ(serialize(req.method, raw.target + sep + final_params, req.headers, req.body),
            read_file(sc.dir / "query-signed-request.txt"));
}

INSTANTIATE_TEST_SUITE_P(Cases, SigV4Suite, ::testing::ValuesIn(discover_cases()),
                         [](const ::testing::TestParamInfo<SuiteCase>& case_info) {
                           return test_name_for(case_info.param.name);
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SigV4Suite);

// ---- the pure steps, one at a time ----

TEST(CanonicalUri, NormalizesDotSegmentsAndSlashes) {
  EXPECT_EQ(canonical_uri("/"), "/");
  EXPECT_EQ(canonical_uri(""), "/");
  EXPECT_EQ(canonical_uri("//"), "/");
  EXPECT_EQ(canonical_uri("/a/./b/../c"), "/a/c");
  EXPECT_EQ(canonical_uri("/a/b/../../.."), "/");
  EXPECT_EQ(canonical_uri("//a//b//"), "/a/b/");
  EXPECT_EQ(canonical_uri("/a/b/.."), "/a");  // botocore: no slash added after ".."
  EXPECT_EQ(canonical_uri("/v2/repo/manifests/1.0.0"), "/v2/repo/manifests/1.0.0");
}

TEST(CanonicalUri, KeepsThePathWhenNotNormalizing) {
  EXPECT_EQ(canonical_uri("//a/./b/../", false), "//a/./b/../");
  EXPECT_EQ(canonical_uri("/a b/", false), "/a%20b/");
}

TEST(CanonicalUri, EncodesEachSegmentOnce) {
  EXPECT_EQ(canonical_uri("/a b/c+d"), "/a%20b/c%2Bd");
  EXPECT_EQ(canonical_uri("/\xE1\x88\xB4"), "/%E1%88%B4");
  EXPECT_EQ(canonical_uri("/a%20b"), "/a%2520b");  // already-encoded input is encoded again
  EXPECT_EQ(canonical_uri("/-._~"), "/-._~");
  EXPECT_EQ(canonical_uri("/a:b@c"), "/a%3Ab%40c");
}

TEST(CanonicalQuery, SortsByEncodedKeyThenValue) {
  EXPECT_EQ(canonical_query(""), "");
  EXPECT_EQ(canonical_query("b=2&a=1"), "a=1&b=2");
  EXPECT_EQ(canonical_query("a=2&a=1&a=10"), "a=1&a=10&a=2");
  EXPECT_EQ(canonical_query("Z=1&a=1"), "Z=1&a=1");  // byte order: upper case first
  EXPECT_EQ(canonical_query("%E1%88%B4=1&P=2"), "%E1%88%B4=1&P=2");
}

TEST(CanonicalQuery, DecodesThenReencodes) {
  EXPECT_EQ(canonical_query("k=a%2fb"), "k=a%2Fb");      // hex case normalized
  EXPECT_EQ(canonical_query("k=a/b c"), "k=a%2Fb%20c");  // raw characters encoded
  EXPECT_EQ(canonical_query("k=%7E%2D"), "k=~-");        // unreserved decoded
  EXPECT_EQ(canonical_query("k=a+b"), "k=a%2Bb");        // '+' is a plus, not a space
  EXPECT_EQ(canonical_query("k=100%"), "k=100%25");      // a stray '%' is literal
  EXPECT_EQ(canonical_query("flag&k="), "flag=&k=");     // empty values keep '='
  EXPECT_EQ(canonical_query("a=1&&b=2"), "a=1&b=2");     // empty pairs dropped
  EXPECT_EQ(canonical_query("a=b=c"), "a=b%3Dc");        // only the first '=' splits
}

TEST(CanonicalHeaderValue, TrimsAndCollapsesWhitespace) {
  EXPECT_EQ(canonical_header_value("  value1  "), "value1");
  EXPECT_EQ(canonical_header_value("\"a   b   c\""), "\"a b c\"");
  EXPECT_EQ(canonical_header_value("value1\n  value2\n     value3"), "value1 value2 value3");
  EXPECT_EQ(canonical_header_value("a\t\tb"), "a b");
  EXPECT_EQ(canonical_header_value(""), "");
}

TEST(UnsignedHeaders, FollowBotocore) {
  EXPECT_TRUE(is_unsigned_header("user-agent"));
  EXPECT_TRUE(is_unsigned_header("authorization"));
  EXPECT_TRUE(is_unsigned_header("expect"));
  EXPECT_FALSE(is_unsigned_header("content-type"));
  EXPECT_FALSE(is_unsigned_header("x-amz-target"));
}

TEST(CanonicalRequest, LowercasesSortsAndCombinesHeaders) {
  http::Headers h;
  h.add("X-Amz-Date", "20150830T123600Z");
  h.add("Host", "example.amazonaws.com");
  h.add("My-Header", "b");
  h.add("my-header", " a ");
  h.add("User-Agent", "ecrhelm/0.1");
  auto c = canonical_request("get", "https://example.amazonaws.com/?b=2&a=1", h, "");
  EXPECT_EQ(c.signed_headers, "host;my-header;x-amz-date");
  EXPECT_EQ(c.text,
            "GET\n/\na=1&b=2\nhost:example.amazonaws.com\nmy-header:b,a\n"
            "x-amz-date:20150830T123600Z\n\nhost;my-header;x-amz-date\n" +
                sha256_hex(""));
}

TEST(CanonicalRequest, TakesHostFromTheUrlWhenAbsent) {
  http::Headers h;
  h.add("X-Amz-Date", "20150830T123600Z");
  EXPECT_NE(canonical_request("GET", "https://Example.com:8443/", h, "")
                .text.find("\nhost:example.com:8443\n"),
            std::string::npos);
  EXPECT_NE(
      canonical_request("GET", "https://example.com:443/", h, "").text.find("\nhost:example.com\n"),
      std::string::npos);
}

TEST(CanonicalRequest, HashesThePayloadUnlessTheCallerSentItsHash) {
  http::Headers h;
  h.add("Host", "h");
  auto plain = canonical_request("POST", "https://h/", h, "Action=GetCallerIdentity");
  EXPECT_TRUE(plain.text.ends_with(sha256_hex("Action=GetCallerIdentity")));
  h.add("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD");
  auto unsigned_payload = canonical_request("POST", "https://h/", h, "ignored");
  EXPECT_TRUE(unsigned_payload.text.ends_with("\nUNSIGNED-PAYLOAD"));
}

TEST(CanonicalRequest, RejectsWhatIsNotAUrl) {
  http::Headers h;
  EXPECT_THROW(canonical_request("GET", "not a url", h, ""), Error);
}

TEST(CredentialScope, JoinsDateRegionServiceAndTerminator) {
  EXPECT_EQ(credential_scope("20150830", "us-east-1", "iam"),
            "20150830/us-east-1/iam/aws4_request");
}

TEST(StringToSign, HasAlgorithmDateScopeAndRequestHash) {
  EXPECT_EQ(string_to_sign("20150830T123600Z", "20150830/us-east-1/iam/aws4_request", "abc"),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n" +
                sha256_hex("abc"));
}

// The worked example of AWS's "Examples of how to derive a signing key".
TEST(SigningKey, MatchesTheDocumentedExample) {
  EXPECT_EQ(hex_encode(signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215",
                                   "us-east-1", "iam")),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(SigningKey, DependsOnEveryInput) {
  const std::string base = signing_key("secret", "20150830", "us-east-1", "sts");
  EXPECT_EQ(base.size(), 32u);
  EXPECT_NE(base, signing_key("secreT", "20150830", "us-east-1", "sts"));
  EXPECT_NE(base, signing_key("secret", "20150831", "us-east-1", "sts"));
  EXPECT_NE(base, signing_key("secret", "20150830", "us-east-2", "sts"));
  EXPECT_NE(base, signing_key("secret", "20150830", "us-east-1", "ecr"));
}

TEST(Signature, IsLowercaseHexOfHmac) {
  const std::string sig = signature("key", "text");
  EXPECT_EQ(sig, hex_encode(hmac_sha256("key", "text")));
  EXPECT_EQ(sig.size(), 64u);
  EXPECT_EQ(sig.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(AuthorizationHeader, HasTheThreeParts) {
  EXPECT_EQ(authorization_header("AKID", "20150830/us-east-1/sts/aws4_request", "host;x-amz-date",
                                 "abcd"),
            "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/sts/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=abcd");
}

// ---- sign() on the request ----

Credentials test_credentials(std::string token = "") {
  Credentials c;
  c.access_key_id = "AKIDEXAMPLE";
  c.secret_access_key = Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  c.session_token = Secret(std::move(token));
  return c;
}

TimePoint suite_time() { return *parse_iso8601("2015-08-30T12:36:00Z"); }

TEST(Sign, SetsHostDateAndAuthorization) {
  http::Request req;
  req.url = "https://sts.us-east-1.amazonaws.com:8443/";
  sign(req, test_credentials(), "us-east-1", "sts", suite_time());
  EXPECT_EQ(req.headers.get("Host"), "sts.us-east-1.amazonaws.com:8443");
  EXPECT_EQ(req.headers.get("X-Amz-Date"), "20150830T123600Z");
  EXPECT_FALSE(req.headers.get("X-Amz-Security-Token"));
  auto auth = req.headers.get("Authorization");
  ASSERT_TRUE(auth);
  EXPECT_TRUE(auth->starts_with(
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request, "
      "SignedHeaders=host;x-amz-date, Signature="));
}

TEST(Sign, KeepsAnExistingHostHeader) {
  http::Request req;
  req.url = "http://127.0.0.1:5000/";
  req.headers.add("Host", "sts.amazonaws.com");
  sign(req, test_credentials(), "us-east-1", "sts", suite_time());
  EXPECT_EQ(req.headers.get_all("Host"), std::vector<std::string>{"sts.amazonaws.com"});
}

TEST(Sign, SignsTheSessionToken) {
  http::Request req;
  req.url = "https://api.ecr.us-east-1.amazonaws.com/";
  sign(req, test_credentials("TOKEN"), "us-east-1", "ecr", suite_time());
  EXPECT_EQ(req.headers.get("X-Amz-Security-Token"), "TOKEN");
  EXPECT_NE(
      req.headers.get("Authorization")->find("SignedHeaders=host;x-amz-date;x-amz-security-token,"),
      std::string::npos);
}

TEST(Sign, ResigningReplacesDateTokenAndAuthorization) {
  http::Request req;
  req.url = "https://api.ecr.us-east-1.amazonaws.com/";
  req.headers.add("User-Agent", "ecrhelm/test");
  sign(req, test_credentials("OLD"), "us-east-1", "ecr", suite_time());
  const std::string first = *req.headers.get("Authorization");
  sign(req, test_credentials("NEW"), "us-east-1", "ecr", suite_time() + std::chrono::hours(1));
  EXPECT_EQ(req.headers.get_all("Authorization").size(), 1u);
  EXPECT_EQ(req.headers.get_all("X-Amz-Security-Token"), std::vector<std::string>{"NEW"});
  EXPECT_EQ(req.headers.get_all("X-Amz-Date"), std::vector<std::string>{"20150830T133600Z"});
  EXPECT_NE(*req.headers.get("Authorization"), first);
  EXPECT_EQ(req.headers.get("Authorization")->find("user-agent"), std::string::npos);
}

TEST(Sign, TheSignatureCoversBodyMethodAndQuery) {
  auto signed_auth = [](std::string method, std::string url, std::string body) {
    http::Request req;
    req.method = std::move(method);
    req.url = std::move(url);
    req.body = std::move(body);
    sign(req, test_credentials(), "us-east-1", "sts", suite_time());
    return *req.headers.get("Authorization");
  };
  const std::string base = signed_auth("POST", "https://sts.amazonaws.com/?a=1", "x");
  EXPECT_NE(base, signed_auth("POST", "https://sts.amazonaws.com/?a=1", "y"));
  EXPECT_NE(base, signed_auth("PUT", "https://sts.amazonaws.com/?a=1", "x"));
  EXPECT_NE(base, signed_auth("POST", "https://sts.amazonaws.com/?a=2", "x"));
  EXPECT_EQ(base, signed_auth("POST", "https://sts.amazonaws.com/?a=1", "x"));
}

TEST(Sign, RefusesBadInput) {
  http::Request req;
  req.url = "sts.amazonaws.com/";
  EXPECT_THROW(sign(req, test_credentials(), "us-east-1", "sts", suite_time()), Error);
  req.url = "https://sts.amazonaws.com/";
  Credentials no_secret = test_credentials();
  no_secret.secret_access_key = Secret();
  EXPECT_THROW(sign(req, no_secret, "us-east-1", "sts", suite_time()), Error);
}

}  // namespace
}  // namespace ecrhelm::aws::sigv4
