// Cross-checks sign() against botocore's SigV4Auth (what the AWS CLI sends)
// on requests shaped like the ones ecrhelm makes, at a fixed time.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "aws/sigv4.h"
#include "support/testbed.h"
#include "util/time.h"

namespace ecrhelm::aws::sigv4 {
namespace {

// Signs the request described by $REQUEST (JSON) with botocore at
// 2026-01-15T08:30:05Z and prints the Authorization header. botocore takes the
// time from botocore.auth.get_current_datetime (>= 1.31) or, before that,
// from datetime.datetime.utcnow(); both are pinned.
constexpr const char* kBotocoreSigner = R"PY(
import datetime, json, os, sys
try:
    import botocore.auth, botocore.awsrequest, botocore.credentials
except ImportError as e:
    print("botocore-missing: %s" % e)
    sys.exit(3)

FIXED = datetime.datetime(2026, 1, 15, 8, 30, 5)
if hasattr(botocore.auth, "get_current_datetime"):
    botocore.auth.get_current_datetime = lambda *a, **k: FIXED
else:
    class _FixedDatetime(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return FIXED
    botocore.auth.datetime.datetime = _FixedDatetime

spec = json.loads(os.environ["REQUEST"])
creds = botocore.credentials.Credentials(spec["access_key"], spec["secret_key"],
                                         spec.get("token") or None)
req = botocore.awsrequest.AWSRequest(method=spec["method"], url=spec["url"],
                                     data=spec["body"].encode("utf-8"))
for name, value in spec["headers"]:
    req.headers[name] = value
botocore.auth.SigV4Auth(creds, spec["service"], spec["region"]).add_auth(req)
print(req.headers["Authorization"])
print(req.headers["X-Amz-Date"])
)PY";

struct BotocoreCase {
  std::string name;
  std::string method;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string service;
  std::string region;
  std::string token;
};

struct BotocoreResult {
  bool available = false;
  std::string why_unavailable;
  std::string authorization;
  std::string amz_date;
};

BotocoreResult sign_with_botocore(const BotocoreCase& c, const Credentials& creds) {
  nlohmann::json spec = {{"method", c.method},
                         {"url", c.url},
                         {"body", c.body},
                         {"service", c.service},
                         {"region", c.region},
                         {"access_key", creds.access_key_id},
                         {"secret_key", creds.secret_access_key.reveal()},
                         {"token", creds.session_token.reveal()},
                         {"headers", c.headers}};
  std::map<std::string, std::string> env = {{"REQUEST", spec.dump()}};
  if (const char* home = std::getenv("HOME")) env["HOME"] = home;
  test::RunResult r;
  BotocoreResult out;
  try {
    r = test::run_program({"python3", "-c", kBotocoreSigner}, env);
  } catch (const std::exception& e) {
    out.why_unavailable = std::string("python3 could not be run: ") + e.what();
    return out;
  }
  if (r.exit_code == 3 || r.exit_code == 127) {
    out.why_unavailable = "python3 with botocore is not installed: " + r.out + r.err;
    return out;
  }
  out.available = true;
  EXPECT_EQ(r.exit_code, 0) << "botocore signer failed: " << r.err;
  auto nl = r.out.find('\n');
  out.authorization = r.out.substr(0, nl);
  if (nl != std::string::npos) {
    out.amz_date = r.out.substr(nl + 1);
    while (!out.amz_date.empty() && out.amz_date.back() == '\n') out.amz_date.pop_back();
  }
  return out;
}

Credentials credentials_with(std::string token) {
  Credentials c;
  c.access_key_id = "ASIAEXAMPLEEXAMPLE12";
  c.secret_access_key = Secret("je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY");
  c.session_token = Secret(std::move(token));
  return c;
}

std::vector<BotocoreCase> cases() {
  return {
      {"EcrJsonPostWithTargetAndSessionToken",
       "POST",
       "https://api.ecr.eu-west-1.amazonaws.com/",
       {{"Content-Type", "application/x-amz-json-1.1"},
        {"X-Amz-Target", "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"},
        {"User-Agent", "ecrhelm/0.1.0"}},
       R"({"registryIds":["123456789012"]})",
       "ecr",
       "eu-west-1",
       "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+example=="},
      {"StsFormPost",
       "POST",
       "https://sts.us-gov-west-1.amazonaws.com/",
       {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
       "Action=GetCallerIdentity&Version=2011-06-15",
       "sts",
       "us-gov-west-1",
       ""},
      {"GetWithEncodedQuery",
       "GET",
       "https://api.ecr.us-east-1.amazonaws.com/v2/"
       "_catalog?n=100&last=team%2Fchart%20a&a=%E1%88%B4",
       {{"Accept", "application/json"}},
       "",
       "ecr",
       "us-east-1",
       "SESSIONTOKEN"},
      {"PathWithSpacesAndUnicode",
       "GET",
       "https://example.amazonaws.com:8443/charts/my chart/\xC3\xA9t\xC3\xA9/1.0.0",
       {{"X-Custom", "  spaced    value  "}},
       "",
       "execute-api",
       "cn-north-1",
       ""},
      {"DuplicateHeadersAndEmptyQueryValue",
       "PUT",
       "https://api.ecr-public.us-east-1.amazonaws.com/?flag=&b=2",
       {{"X-Multi", "one"}, {"x-multi", "two"}, {"Content-Type", "application/octet-stream"}},
       "binary\x01payload",
       "ecr-public",
       "us-east-1",
       ""},
  };
}

class BotocoreCrossCheck : public ::testing::TestWithParam<BotocoreCase> {};

TEST_P(BotocoreCrossCheck, AuthorizationMatchesBotocore) {
  const BotocoreCase& c = GetParam();
  const Credentials creds = credentials_with(c.token);
  BotocoreResult expected = sign_with_botocore(c, creds);
  if (!expected.available) GTEST_SKIP() << expected.why_unavailable;

  http::Request req;
  req.method = c.method;
  req.url = c.url;
  for (const auto& [name, value] : c.headers) req.headers.add(name, value);
  req.body = c.body;
  sign(req, creds, c.region, c.service, *parse_iso8601("2026-01-15T08:30:05Z"));

  EXPECT_EQ(expected.amz_date, "20260115T083005Z") << "botocore's clock was not pinned";
  EXPECT_EQ(req.headers.get("X-Amz-Date"), expected.amz_date);
  EXPECT_EQ(req.headers.get("Authorization"), expected.authorization);
  if (!c.token.empty()) {
    EXPECT_EQ(req.headers.get("X-Amz-Security-Token"), c.token);
  }
}

INSTANTIATE_TEST_SUITE_P(Requests, BotocoreCrossCheck, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<BotocoreCase>& case_info) {
                           return case_info.param.name;
                         });

}  // namespace
}  // namespace ecrhelm::aws::sigv4
