// ProcessProvider with real shell scripts: good output, expiration, every bad output, non-zero
// exit with stderr, a hanging command killed at the timeout, and no secret in any message.
#include "aws/process_provider.h"

#include <gtest/gtest.h>

#include <chrono>

#include "support/testbed.h"
#include "util/error.h"

namespace ecrhelm::test {
namespace {

constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY";
constexpr const char* kToken = "FwoGZXIvYXdzEXAMPLESESSIONTOKENVALUE";

class ProcessProviderTest : public ::testing::Test {
 protected:
  // A script printing `json` (and optional stderr, exit code) and returns the command to run it.
  std::string script(const std::string& json, int exit_code = 0, const std::string& err = "") {
    std::string body = "#!/bin/sh\ncat <<'EOF'\n" + json + "\nEOF\n";
    if (!err.empty()) body += "printf '%s\\n' '" + err + "' >&2\n";
    body += "exit " + std::to_string(exit_code) + "\n";
    std::string path = dir_.write("cred-" + std::to_string(++n_) + ".sh", body, 0700);
    return path;
  }

  std::string good_json(const std::string& extra = "") {
    return std::string(R"({"Version": 1, "AccessKeyId": "AKIAPROCESS", "SecretAccessKey": ")") +
           kSecret + R"(", "SessionToken": ")" + kToken + "\"" + extra + "}";
  }

  // Runs the command expecting an Error; checks no secret leaks into its message.
  Error load_error(const std::string& command,
                   std::chrono::milliseconds timeout = aws::kCredentialProcessTimeout) {
    try {
      aws::ProcessProvider(command, "dev", timeout).load();
    } catch (const Error& e) {
      expect_no_secrets(e.what());
      return e;
    }
    ADD_FAILURE() << "load() did not throw for " << command;
    return Error(ErrorKind::kInternal, "");
  }

  Error parse_error(const std::string& json) {
    try {
      aws::parse_process_output(json, "dev");
    } catch (const Error& e) {
      expect_no_secrets(e.what());
      return e;
    }
    ADD_FAILURE() << "parse did not throw for " << json;
    return Error(ErrorKind::kInternal, "");
  }

  static void expect_no_secrets(const std::string& text) {
    EXPECT_EQ(text.find(kSecret), std::string::npos) << text;
    EXPECT_EQ(text.find(kToken), std::string::npos) << text;
    EXPECT_EQ(text.find("wJalr"), std::string::npos) << text;
  }

  static bool contains(const Error& e, const std::string& part) {
    return std::string(e.what()).find(part) != std::string::npos;
  }

  TempDir dir_;
  int n_ = 0;
};

TEST_F(ProcessProviderTest, GoodOutputWithoutExpiration) {
  auto c = aws::ProcessProvider(script(good_json()), "dev").load();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->access_key_id, "AKIAPROCESS");
  EXPECT_EQ(c->secret_access_key.reveal(), kSecret);
  EXPECT_EQ(c->session_token.reveal(), kToken);
  EXPECT_FALSE(c->expiration);  // absent: does not expire
  EXPECT_EQ(c->source, "credential_process (profile dev)");
}

TEST_F(ProcessProviderTest, ExpirationAndAccountId) {
  auto c = aws::ProcessProvider(
               script(good_json(
                   R"(, "Expiration": "2026-11-28T12:00:00Z", "AccountId": "111122223333")")),
               "dev")
               .load();
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->expiration);
  EXPECT_EQ(to_unix_seconds(*c->expiration), 1795867200);
  EXPECT_EQ(c->account_id, "111122223333");
}

TEST_F(ProcessProviderTest, SessionTokenIsOptional) {
  auto c = aws::parse_process_output(
      std::string(R"({"Version":1,"AccessKeyId":"AKIA2","SecretAccessKey":")") + kSecret + "\"}",
      "dev");
  EXPECT_TRUE(c.session_token.empty());
  EXPECT_EQ(c.access_key_id, "AKIA2");
}

TEST_F(ProcessProviderTest, CommandRunsUnderAShellWithArguments) {
  std::string path = dir_.write("args.sh",
                                "#!/bin/sh\nprintf '{\"Version\":1,\"AccessKeyId\":\"%s\","
                                "\"SecretAccessKey\":\"s\"}' \"$1-$2\"\n",
                                0700);
  auto c = aws::ProcessProvider(path + " AKIA \"with space\" | cat", "dev").load();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->access_key_id, "AKIA-with space");
}

TEST_F(ProcessProviderTest, BadJson) {
  Error e = load_error(script(std::string("{\"Version\": 1, \"SecretAccessKey\": \"") + kSecret));
  EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
  EXPECT_TRUE(contains(e, "profile dev printed output that is not JSON")) << e.what();
}

TEST_F(ProcessProviderTest, NotAnObject) {
  Error e = parse_error(std::string("[\"") + kSecret + "\"]");
  EXPECT_TRUE(contains(e, "not an object")) << e.what();
}

TEST_F(ProcessProviderTest, WrongOrMissingVersion) {
  Error e = load_error(script(
      std::string(R"({"Version": 2, "AccessKeyId": "A", "SecretAccessKey": ")") + kSecret + "\"}"));
  EXPECT_TRUE(contains(e, "profile dev printed Version 2; only Version 1 is supported"))
      << e.what();
  e = parse_error(std::string(R"({"Version": "1", "AccessKeyId": "A", "SecretAccessKey": ")") +
                  kSecret + "\"}");
  EXPECT_TRUE(contains(e, "Version \"1\"")) << e.what();
  e = parse_error(std::string(R"({"AccessKeyId": "A", "SecretAccessKey": ")") + kSecret + "\"}");
  EXPECT_TRUE(contains(e, "printed no Version")) << e.what();
}

TEST_F(ProcessProviderTest, MissingOrBadFields) {
  Error e = parse_error(std::string(R"({"Version": 1, "SecretAccessKey": ")") + kSecret + "\"}");
  EXPECT_TRUE(contains(e, "profile dev printed no AccessKeyId")) << e.what();
  e = parse_error(R"({"Version": 1, "AccessKeyId": "AKIA"})");
  EXPECT_TRUE(contains(e, "printed no SecretAccessKey")) << e.what();
  e = parse_error(R"({"Version": 1, "AccessKeyId": "AKIA", "SecretAccessKey": ""})");
  EXPECT_TRUE(contains(e, "SecretAccessKey that is not a non-empty string")) << e.what();
  e = parse_error(R"({"Version": 1, "AccessKeyId": 5, "SecretAccessKey": "x"})");
  EXPECT_TRUE(contains(e, "AccessKeyId that is not a non-empty string")) << e.what();
  e = parse_error(std::string(R"({"Version": 1, "AccessKeyId": "A", "SecretAccessKey": ")") +
                  kSecret + R"(", "SessionToken": 7})");
  EXPECT_TRUE(contains(e, "SessionToken that is not a string")) << e.what();
}

TEST_F(ProcessProviderTest, BadExpiration) {
  Error e = load_error(script(good_json(R"(, "Expiration": "next tuesday")")));
  EXPECT_TRUE(contains(e, "profile dev printed an Expiration that is not an ISO 8601 time"))
      << e.what();
  EXPECT_TRUE(contains(e, "next tuesday")) << e.what();
}

TEST_F(ProcessProviderTest, NonZeroExitNamesCodeAndFirstStderrLine) {
  Error e = load_error(script(good_json(), 3, "token expired; run aws sso login"));
  EXPECT_EQ(e.kind(), ErrorKind::kRemote);
  EXPECT_TRUE(contains(e,
                       "credential_process for profile dev exited with code 3: token expired; "
                       "run aws sso login"))
      << e.what();
}

TEST_F(ProcessProviderTest, StderrInMessageIsOneLineOfAtMost200Chars) {
  std::string path =
      dir_.write("long.sh", "#!/bin/sh\nprintf '%0300d\\nsecond line\\n' 0 >&2\nexit 1\n", 0700);
  Error e = load_error(path);
  std::string msg = e.what();
  EXPECT_NE(msg.find(std::string(200, '0') + "..."), std::string::npos) << msg;
  EXPECT_EQ(msg.find(std::string(201, '0')), std::string::npos);
  EXPECT_EQ(msg.find("second line"), std::string::npos);
}

TEST_F(ProcessProviderTest, MissingCommandIsAnExitCodeError) {
  Error e = load_error(dir_.file("does-not-exist"));
  EXPECT_TRUE(contains(e, "exited with code 127")) << e.what();
}

TEST_F(ProcessProviderTest, HangingCommandIsKilledAtTheTimeout) {
  std::string path = dir_.write("hang.sh", "#!/bin/sh\nexec sleep 30\n", 0700);
  auto start = std::chrono::steady_clock::now();
  Error e = load_error(path, std::chrono::milliseconds(300));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, std::chrono::seconds(5));
  EXPECT_TRUE(contains(e, "profile dev did not finish within 300 ms")) << e.what();
}

TEST_F(ProcessProviderTest, OversizedOutputIsRefused) {
  std::string path = dir_.write(
      "big.sh", "#!/bin/sh\nhead -c 2000000 /dev/zero | tr '\\0' ' '\necho '{}'\n", 0700);
  Error e = load_error(path);
  EXPECT_TRUE(contains(e, "printed more than 1048576 bytes")) << e.what();
}

}  // namespace
}  // namespace ecrhelm::test

namespace ecrhelm::test {
namespace {

// Issue 18, defect 8: what a failing credential_process prints is quoted
// without anything that looks like a key or token.
TEST_F(ProcessProviderTest, StderrQuotedWithoutTokenLikeWords) {
  std::string path = dir_.write("leak.sh",
                                "#!/bin/sh\necho 'denied for AKIAIOSFODNN7EXAMPLE with "
                                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' >&2\nexit 1\n",
                                0700);
  std::string msg = load_error(path).what();
  EXPECT_NE(msg.find("denied for <redacted> with <redacted>"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("AKIAIOSFODNN7EXAMPLE"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("EXAMPLEKEY"), std::string::npos) << msg;
}

}  // namespace
}  // namespace ecrhelm::test
