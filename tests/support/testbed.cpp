#include "support/testbed.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <random>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "util/encoding.h"
#include "util/fs.h"
#include "util/subprocess.h"

extern char** environ;

namespace ecrhelm::test {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/ecrhelm-test-XXXXXX";
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& content, int mode) const {
  std::string p = file(name);
  write_file_atomic(p, content, mode_t(mode), 0700);
  return p;
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("bind failed");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool wait_for_port(int port, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(uint16_t(port));
    int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::close(fd);
    if (rc == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv,
                           const std::map<std::string, std::string>& env,
                           const std::string& log_file) {
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::setpgid(0, 0);
    int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    _exit(127);
  }
  ::setpgid(pid_, pid_);
}

bool ChildProcess::running() const {
  if (pid_ <= 0) return false;
  return ::waitpid(pid_, nullptr, WNOHANG) == 0;
}

void ChildProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGTERM);
  for (long i = 0; i < grace.count() / 20; ++i) {
    if (::waitpid(pid_, nullptr, WNOHANG) != 0) {
      ::kill(-pid_, SIGKILL);
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(-pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

ChildProcess::~ChildProcess() { stop(); }

std::map<std::string, std::string> MotoServer::env(const std::string& home) const {
  return {{"HOME", home},
          {"AWS_EC2_METADATA_DISABLED", "true"},
          {"AWS_ENDPOINT_URL", url()},
          {"AWS_REGION", "us-east-1"}};
}

MotoServer::MotoServer(int initial_no_auth) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = free_port();
    std::map<std::string, std::string> env;
    if (initial_no_auth > 0) env["INITIAL_NO_AUTH_ACTION_COUNT"] = std::to_string(initial_no_auth);
    proc_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{"moto_server", "-H", "127.0.0.1", "-p", std::to_string(port_)},
        env, dir_.file("moto.log"));
    if (wait_for_port(port_, std::chrono::seconds(30)) && proc_->running()) return;
    proc_.reset();
  }
  throw std::runtime_error("moto_server did not start; is it installed (scripts/install-deps.sh)?");
}

const char* const kSeedReadPolicy = R"({"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Action":["ecr:GetAuthorizationToken"],"Resource":"*"},
  {"Effect":"Allow","Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer",
    "ecr:BatchCheckLayerAvailability"],
   "Resource":"arn:aws:ecr:us-east-1:123456789012:repository/charts"}]})";

AccessKey MotoServer::create_iam_user(const std::string& name, const std::string& policy) const {
  static const char* kScript = R"PY(
import boto3, json, sys
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="AKIDSETUP", aws_secret_access_key="setup")
iam.create_user(UserName=sys.argv[2])
iam.put_user_policy(UserName=sys.argv[2], PolicyName="policy", PolicyDocument=sys.argv[3])
k = iam.create_access_key(UserName=sys.argv[2])["AccessKey"]
print(k["AccessKeyId"], k["SecretAccessKey"])
)PY";
  auto r = run_program({"python3", "-c", kScript, url(), name, policy}, {});
  if (r.exit_code != 0) throw std::runtime_error("creating IAM user " + name + " in moto failed");
  auto sp = r.out.find(' ');
  AccessKey k{r.out.substr(0, sp), r.out.substr(sp + 1)};
  while (!k.secret.empty() && (k.secret.back() == '\n' || k.secret.back() == '\r'))
    k.secret.pop_back();
  return k;
}

EcrExpiryProxy::EcrExpiryProxy(const MotoServer& moto, double hours) {
  std::string port_file = dir_.file("port");
  proc_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{
          "python3", std::string(ECRHELM_SOURCE_DIR) + "/scripts/testbed/ecr-expiry-proxy.py",
          "--upstream-port", std::to_string(moto.port()), "--port-file", port_file, "--hours",
          std::to_string(hours)},
      std::map<std::string, std::string>{}, dir_.file("proxy.log"));
  for (int i = 0; i < 300 && port_ == 0; ++i) {
    std::ifstream in(port_file);
    if (!(in >> port_)) port_ = 0;
    if (port_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (port_ == 0 || !wait_for_port(port_, std::chrono::seconds(10)))
    throw std::runtime_error("ecr-expiry-proxy.py did not start (see " + dir_.path() + ")");
}

int EcrExpiryProxy::calls(const std::string& action) const {
  auto r = run_program({"curl", "-fsS", url() + "/_proxy/stats"}, {});
  if (r.exit_code != 0) throw std::runtime_error("ecr-expiry-proxy.py stats failed");
  return nlohmann::json::parse(r.out).value(action, 0);
}

RunResult run_program(const std::vector<std::string>& argv,
                      const std::map<std::string, std::string>& env,
                      const std::string& stdin_data) {
  // Build the child's environment: only PATH, HOME-less unless given, and env.
  std::map<std::string, std::string> full;
  if (const char* p = std::getenv("PATH")) full["PATH"] = p;
  for (const char* keep : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TMPDIR"})
    if (const char* v = std::getenv(keep)) full[keep] = v;
  for (const auto& [k, v] : env) full[k] = v;
  // run_process inherits environ plus extra_env; clear what is not wanted by
  // running through env -i.
  std::vector<std::string> cmd = {"env", "-i"};
  for (const auto& [k, v] : full) cmd.push_back(k + "=" + v);
  for (const auto& a : argv) cmd.push_back(a);
  ProcessOptions opts;
  opts.stdin_data = stdin_data;
  opts.timeout = std::chrono::seconds(120);
  opts.max_stdout = 16 << 20;
  opts.max_stderr = 16 << 20;
  auto r = run_process(cmd, opts);
  return RunResult{r.exit_code, r.out, r.err};
}

RunResult run_ecrhelm(const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env,
                      const std::string& stdin_data) {
  std::vector<std::string> argv = {ECRHELM_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_program(argv, env, stdin_data);
}

std::string make_jwt(const std::string& subject, const std::string& audience) {
  auto b64url = [](const std::string& s) {
    std::string b = base64_encode(s);
    for (char& c : b) {
      if (c == '+') c = '-';
      if (c == '/') c = '_';
    }
    while (!b.empty() && b.back() == '=') b.pop_back();
    return b;
  };
  std::string header = R"({"alg":"RS256","kid":"test"})";
  std::string payload = R"({"iss":"https://oidc.eks.us-east-1.amazonaws.com/id/TEST","sub":")" +
                        subject + R"(","aud":[")" + audience +
                        R"("],"exp":4102444800,"iat":1700000000})";
  return b64url(header) + "." + b64url(payload) + "." + b64url("signature-" + subject);
}

std::string random_bytes_of(size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = rng();
    for (size_t j = 0; j < 8 && i + j < n; ++j) out[i + j] = char((v >> (8 * j)) & 0xff);
  }
  return out;
}

}  // namespace ecrhelm::test
