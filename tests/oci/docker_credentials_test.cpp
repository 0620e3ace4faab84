// Docker config auths lookup and the credential-helper protocol, with small
// shell scripts standing in for docker-credential-* programs.
#include "oci/docker_credentials.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "support/testbed.h"
#include "util/encoding.h"
#include "util/error.h"

namespace ecrhelm::oci {
namespace {

using nlohmann::json;
constexpr const char* kEcr = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

json auths(const json& entries) { return json{{"auths", entries}}; }
json basic(const std::string& user_colon_password) {
  return json{{"auth", base64_encode(user_colon_password)}};
}

TEST(NormalizeHost, DockerCliRules) {
  EXPECT_EQ(normalize_registry_host("https://index.docker.io/v1/"), "index.docker.io");
  EXPECT_EQ(normalize_registry_host("http://r.io:5000"), "r.io:5000");
  EXPECT_EQ(normalize_registry_host("https://user@r.io/x"), "r.io");
  EXPECT_EQ(normalize_registry_host("r.io/charts/app"), "r.io");
  EXPECT_EQ(normalize_registry_host("R.IO"), "r.io");
  EXPECT_EQ(normalize_registry_host(""), "");
}

TEST(LookupConfigAuth, BareHostKey) {
  auto c = lookup_config_auth(auths({{kEcr, basic("AWS:token-1")}}), kEcr);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->username, "AWS");
  EXPECT_EQ(c->password.reveal(), "token-1");
  EXPECT_FALSE(c->is_identity_token());
}

TEST(LookupConfigAuth, KeysWithSchemeAndPath) {
  for (std::string key : {std::string("https://") + kEcr + "/v1/", std::string("http://") + kEcr,
                          std::string("https://") + kEcr, std::string(kEcr) + "/charts"}) {
    SCOPED_TRACE(key);
    auto c = lookup_config_auth(auths({{key, basic("AWS:pw")}}), kEcr);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->password.reveal(), "pw");
  }
}

TEST(LookupConfigAuth, HostGivenAsUrlOrInOtherCase) {
  json cfg = auths({{"r.io", basic("u:p")}});
  EXPECT_TRUE(lookup_config_auth(cfg, "https://r.io/"));
  EXPECT_TRUE(lookup_config_auth(cfg, "R.io"));
  EXPECT_FALSE(lookup_config_auth(cfg, "r.io:5000"));
  EXPECT_FALSE(lookup_config_auth(cfg, "other.io"));
}

TEST(LookupConfigAuth, ExactKeyWinsOverNormalisedOne) {
  json cfg = auths({{"https://r.io", basic("a:url")}, {"r.io", basic("b:bare")}});
  EXPECT_EQ(lookup_config_auth(cfg, "r.io")->username, "b");
  EXPECT_EQ(lookup_config_auth(cfg, "https://r.io")->username, "a");
}

TEST(LookupConfigAuth, DockerHub) {
  json cfg = auths({{"https://index.docker.io/v1/", basic("hubuser:hubpass")}});
  for (const char* host : {"docker.io", "index.docker.io", "registry-1.docker.io"}) {
    SCOPED_TRACE(host);
    auto c = lookup_config_auth(cfg, host);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->username, "hubuser");
  }
}

TEST(LookupConfigAuth, PasswordKeepsColonsAndLosesNulPadding) {
  auto c = lookup_config_auth(auths({{"r.io", basic(std::string("u:p:a:s:s\0\0", 11))}}), "r.io");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->username, "u");
  EXPECT_EQ(c->password.reveal(), "p:a:s:s");
}

TEST(LookupConfigAuth, LegacyUsernamePasswordFields) {
  auto c = lookup_config_auth(auths({{"r.io", {{"username", "u"}, {"password", "p"}}}}), "r.io");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->username, "u");
  EXPECT_EQ(c->password.reveal(), "p");
}

TEST(LookupConfigAuth, AuthWinsOverLegacyFields) {
  json entry = basic("new:fresh");
  entry["username"] = "old";
  entry["password"] = "stale";
  EXPECT_EQ(lookup_config_auth(auths({{"r.io", entry}}), "r.io")->username, "new");
}

TEST(LookupConfigAuth, IdentityTokenWins) {
  json entry = basic("u:p");
  entry["identitytoken"] = "refresh-token";
  auto c = lookup_config_auth(auths({{"r.io", entry}}), "r.io");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->username, "<token>");
  EXPECT_TRUE(c->is_identity_token());
  EXPECT_EQ(c->password.reveal(), "refresh-token");
}

TEST(LookupConfigAuth, NothingUsable) {
  EXPECT_FALSE(lookup_config_auth(json::object(), "r.io"));
  EXPECT_FALSE(lookup_config_auth(json::array(), "r.io"));
  EXPECT_FALSE(lookup_config_auth(json{{"auths", "x"}}, "r.io"));
  EXPECT_FALSE(
      lookup_config_auth(auths({{"r.io", json::object()}}), "r.io"));  // credsStore leftover
  EXPECT_FALSE(lookup_config_auth(auths({{"r.io", "string"}}), "r.io"));
  EXPECT_FALSE(lookup_config_auth(auths({{"r.io", {{"auth", ""}}}}), "r.io"));
  EXPECT_FALSE(lookup_config_auth(auths({{"r.io", {{"auth", 5}}}}), "r.io"));
}

TEST(LookupConfigAuth, BadAuthIsAnErrorThatHidesTheValue) {
  for (std::string auth : {std::string("!!!not base64!!!"), base64_encode("no-colon-secret"),
                           base64_encode(":empty-user-secret")}) {
    SCOPED_TRACE(auth);
    try {
      lookup_config_auth(auths({{"r.io", {{"auth", auth}}}}), "r.io");
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
      std::string m = e.what();
      EXPECT_NE(m.find("r.io"), std::string::npos) << m;
      EXPECT_EQ(m.find("secret"), std::string::npos) << m;
      EXPECT_EQ(m.find(auth), std::string::npos) << m;
    }
  }
}

TEST(CredHelperFor, HelperThenStore) {
  json cfg = {{"credHelpers", {{kEcr, "ecr-login"}, {"https://other.io", "pass"}}},
              {"credsStore", "desktop"}};
  EXPECT_EQ(cred_helper_for(cfg, kEcr), "ecr-login");
  EXPECT_EQ(cred_helper_for(cfg, "other.io"), "pass");
  EXPECT_EQ(cred_helper_for(cfg, "unknown.io"), "desktop");
  EXPECT_FALSE(cred_helper_for(json{{"credHelpers", {{"a.io", "x"}}}}, "b.io"));
  EXPECT_FALSE(cred_helper_for(json{{"credsStore", ""}}, "b.io"));
  EXPECT_FALSE(cred_helper_for(json::object(), "b.io"));
  EXPECT_EQ(cred_helper_for(json{{"credHelpers", {{"a.io", ""}}}, {"credsStore", "s"}}, "a.io"),
            "s");
}

// A fake docker-credential-<name> in a temp folder.
class FakeHelper : public ::testing::Test {
 protected:
  void helper(const std::string& name, const std::string& body) {
    dir_.write("docker-credential-" + name, "#!/bin/sh\n" + body, 0755);
  }
  CredentialHelperOptions opts() const {
    CredentialHelperOptions o;
    o.program_dir = dir_.path();
    return o;
  }
  std::string error_of(const std::string& name, ErrorKind kind,
                       const CredentialHelperOptions* o = nullptr) {
    try {
      run_credential_helper(name, "r.io", o ? *o : opts());
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), kind) << e.what();
      return e.what();
    }
    ADD_FAILURE() << "no error";
    return "";
  }
  test::TempDir dir_;
};

constexpr const char* kEchoHelper = R"(
[ "$1" = get ] || { echo "unexpected action $1"; exit 3; }
host=$(cat)
printf '{"ServerURL":"%s","Username":"AWS","Secret":"pw-for-%s"}\n' "$host" "$host"
)";

TEST_F(FakeHelper, GetSendsTheHostOnStdin) {
  helper("fake", kEchoHelper);
  auto c = run_credential_helper("fake", kEcr, opts());
  ASSERT_TRUE(c);
  EXPECT_EQ(c->username, "AWS");
  EXPECT_EQ(c->password.reveal(), std::string("pw-for-") + kEcr);
}

TEST_F(FakeHelper, IdentityToken) {
  helper("tok",
         R"(cat >/dev/null; echo '{"ServerURL":"r.io","Username":"<token>","Secret":"rt"}')");
  auto c = run_credential_helper("tok", "r.io", opts());
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->is_identity_token());
  EXPECT_EQ(c->password.reveal(), "rt");
}

TEST_F(FakeHelper, NotFoundIsNullopt) {
  helper("none", "cat >/dev/null; echo 'credentials not found in native keychain'; exit 1\n");
  EXPECT_FALSE(run_credential_helper("none", "r.io", opts()));
  helper("empty", R"(cat >/dev/null; echo '{"ServerURL":"r.io","Username":"","Secret":""}')");
  EXPECT_FALSE(run_credential_helper("empty", "r.io", opts()));
}

TEST_F(FakeHelper, FailureNamesTheHelperAndItsFirstLine) {
  helper("locked", "cat >/dev/null; echo 'keychain is locked'; echo 'second line'; exit 2\n");
  std::string m = error_of("locked", ErrorKind::kRemote);
  EXPECT_NE(m.find("docker-credential-locked"), std::string::npos) << m;
  EXPECT_NE(m.find("keychain is locked"), std::string::npos) << m;
  EXPECT_EQ(m.find("second line"), std::string::npos) << m;
  EXPECT_NE(m.find("exit code 2"), std::string::npos) << m;
}

TEST_F(FakeHelper, FailureFallsBackToStderr) {
  helper("stderr", "cat >/dev/null; echo 'no network' >&2; exit 1\n");
  EXPECT_NE(error_of("stderr", ErrorKind::kRemote).find("no network"), std::string::npos);
}

TEST_F(FakeHelper, JsonOutputIsNeverEchoed) {
  helper("leaky", R"(cat >/dev/null; echo '{"Username":"AWS","Secret":"TOPSECRET"}'; exit 1)");
  EXPECT_EQ(error_of("leaky", ErrorKind::kRemote).find("TOPSECRET"), std::string::npos);
  helper("garbage", "cat >/dev/null; echo 'TOPSECRET not json'\n");
  EXPECT_EQ(error_of("garbage", ErrorKind::kRemote).find("TOPSECRET"), std::string::npos);
  helper("wrongtype", R"(cat >/dev/null; echo '{"Username":1,"Secret":"TOPSECRET"}')");
  EXPECT_EQ(error_of("wrongtype", ErrorKind::kRemote).find("TOPSECRET"), std::string::npos);
}

// Issue 18, defect 8: a failing helper's line is quoted without anything
// that looks like a key or token (it may print what it was about to return).
TEST_F(FakeHelper, FailureLineIsQuotedWithoutTokenLikeWords) {
  helper("tokeny",
         "cat >/dev/null; echo 'refused eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0 "
         "for r.io'; exit 1\n");
  std::string m = error_of("tokeny", ErrorKind::kRemote);
  EXPECT_NE(m.find("refused <redacted>.<redacted> for r.io"), std::string::npos) << m;
  EXPECT_EQ(m.find("eyJzdWIiOiIxMjM0NTY3ODkwIn0"), std::string::npos) << m;
}

TEST_F(FakeHelper, MissingHelperIsNotFound) {
  std::string m = error_of("absent", ErrorKind::kNotFound);
  EXPECT_NE(m.find("docker-credential-absent"), std::string::npos) << m;
}

TEST_F(FakeHelper, BadNamesAreRejectedBeforeRunning) {
  for (const char* name : {"", "../evil", "a/b", ".hidden", "sp ace"}) {
    SCOPED_TRACE(name);
    try {
      run_credential_helper(name, "r.io", opts());
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    }
  }
}

TEST_F(FakeHelper, Timeout) {
  helper("slow", "cat >/dev/null; sleep 5\n");
  CredentialHelperOptions o = opts();
  o.timeout = std::chrono::milliseconds(200);
  EXPECT_NE(error_of("slow", ErrorKind::kRemote, &o).find("did not answer"), std::string::npos);
}

TEST_F(FakeHelper, OutputCap) {
  helper("chatty", "cat >/dev/null; head -c 2000000 /dev/zero | tr '\\0' a\n");
  EXPECT_NE(error_of("chatty", ErrorKind::kRemote).find("more than"), std::string::npos);
}

// Without program_dir the helper is found on this process's PATH, as docker does.
TEST_F(FakeHelper, FoundOnPath) {
  helper("onpath", kEchoHelper);
  const char* old = std::getenv("PATH");
  std::string saved = old ? old : "";
  setenv("PATH", (dir_.path() + ":" + saved).c_str(), 1);
  std::optional<BasicCredentials> c;
  EXPECT_NO_THROW(c = run_credential_helper("onpath", "r.io"));
  setenv("PATH", saved.c_str(), 1);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->password.reveal(), "pw-for-r.io");
}

}  // namespace
}  // namespace ecrhelm::oci
