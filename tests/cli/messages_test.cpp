// One clear line naming the input, and the right exit code, for inputs that
// used to get a vague message (issue 18, defect 11).
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <thread>

#include <string>

#include "support/testbed.h"

namespace ecrhelm::test {
namespace {

std::map<std::string, std::string> env_for(const TempDir& home) {
  return {{"HOME", home.path()}, {"AWS_EC2_METADATA_DISABLED", "true"}};
}

TEST(Messages, UnknownCommandIsNamed) {
  TempDir home;
  auto r = run_ecrhelm({"nosuchcmd"}, env_for(home));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown command 'nosuchcmd'"), std::string::npos) << r.err;
  auto g = run_ecrhelm({"-v", "--profile", "p", "nosuchcmd"}, env_for(home));
  EXPECT_EQ(g.exit_code, 2);
  EXPECT_NE(g.err.find("'nosuchcmd'"), std::string::npos) << g.err;
  auto ok = run_ecrhelm({"--profile", "pull", "policy", "--help"}, env_for(home));
  EXPECT_EQ(ok.exit_code, 0) << ok.err;  // a profile named like a command is not a command
}

TEST(Messages, ControllerRateLimitsOutOfRangeAreRefusedNamingTheFlag) {
  TempDir home;
  for (const char* flag : {"--kube-api-qps", "--kube-api-burst"}) {
    auto r = run_ecrhelm({"controller", flag, "0"}, env_for(home));
    EXPECT_EQ(r.exit_code, 2) << flag;
    EXPECT_NE((r.out + r.err).find(std::string(flag) + ": Value 0 not in range"), std::string::npos)
        << r.out << r.err;
  }
}

TEST(Messages, EmptyPasswordStdinIsRefused) {
  TempDir home;
  auto r = run_ecrhelm({"tags", "oci://127.0.0.1:1/charts/demo", "--plain-http", "--username",
                        "AWS", "--password-stdin"},
                       env_for(home), "\n");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--password-stdin read an empty password"), std::string::npos) << r.err;
}

TEST(Messages, NonPemCaFileIsBadInputNamingTheFile) {
  TempDir home;
  std::string ca = home.write("not-a-ca.pem", "this is not a certificate\n");
  // A plain TCP listener: libcurl loads the CA bundle once connected, before the handshake.
  httplib::Server server;
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  for (int i = 0; i < 1000 && !server.is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto r = run_ecrhelm(
      {"tags", "oci://127.0.0.1:" + std::to_string(port) + "/charts/demo", "--ca-file", ca},
      env_for(home));
  server.stop();
  t.join();
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(ca), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ecrhelm::test
