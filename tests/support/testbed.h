// Test-bed helpers: temp folders, free ports, long-running peer processes
// (moto_server, registries) started on 127.0.0.1 and always torn down, and
// the ecrhelm binary run as a user would run it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ecrhelm::test {

// A fresh folder under $TMPDIR, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  // Writes a file below the folder (creating parents) and returns its path.
  std::string write(const std::string& name, const std::string& content, int mode = 0600) const;

 private:
  std::string path_;
};

int free_port();
// Waits until something accepts TCP connections on 127.0.0.1:port.
bool wait_for_port(int port, std::chrono::milliseconds timeout);

// A child process in its own process group; killed (SIGTERM, then SIGKILL)
// with all its children on destruction.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
               const std::string& log_file);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  bool running() const;
  pid_t pid() const { return pid_; }
  // SIGTERM, then SIGKILL if it is still running after `grace`.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(1000));

 private:
  pid_t pid_ = -1;
};

struct AccessKey {
  std::string id;
  std::string secret;
};

// The seed's ECR read policy, its placeholders filled for 123456789012/us-east-1/charts.
extern const char* const kSeedReadPolicy;

// moto_server on a free loopback port. initial_no_auth > 0 turns signature and
// IAM checks on after that many free calls (see TESTBED.md).
class MotoServer {
 public:
  explicit MotoServer(int initial_no_auth = 0);
  // An IAM user with `policy` inline and one access key (3 calls: run it
  // within the free ones when checks are on).
  AccessKey create_iam_user(const std::string& name, const std::string& policy) const;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  // An environment for `ecrhelm` isolated from the machine: HOME = `home`, no
  // instance metadata, every AWS call to this moto in us-east-1.
  std::map<std::string, std::string> env(const std::string& home) const;

 private:
  TempDir dir_;
  int port_;
  std::unique_ptr<ChildProcess> proc_;
};

// scripts/testbed/ecr-expiry-proxy.py in front of a moto_server: ECR tokens
// that expire `hours` from their issue, as ECR's do, and call counts.
class EcrExpiryProxy {
 public:
  EcrExpiryProxy(const MotoServer& moto, double hours = 12);
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Calls forwarded with this action (X-Amz-Target or Action=).
  int calls(const std::string& action) const;

 private:
  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> proc_;
};

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `ecrhelm args...` with exactly `env` as its environment (plus PATH)
// and optional stdin.
RunResult run_ecrhelm(const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env,
                      const std::string& stdin_data = "");
// Runs any program the same way.
RunResult run_program(const std::vector<std::string>& argv,
                      const std::map<std::string, std::string>& env,
                      const std::string& stdin_data = "");

// A well-formed (unsigned) JWT with the given subject, as a projected
// service-account token looks; moto accepts any such token.
std::string make_jwt(const std::string& subject, const std::string& audience = "sts.amazonaws.com");

// n bytes from a seeded generator: the same bytes for the same seed (test
// blobs that do not compress and can be made again to compare).
std::string random_bytes_of(size_t n, unsigned seed);

}  // namespace ecrhelm::test
