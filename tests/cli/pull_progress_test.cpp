// `ecrhelm pull`'s progress line: on a terminal's stderr (a pseudo-terminal
// here) it is drawn with \r, ends at 100% with the chart's total size and a
// newline; with -q, or when stderr is a pipe (every other test), nothing.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>

#include "support/registry.h"
#include "support/testbed.h"
#include "util/fs.h"
#include "util/progress.h"

namespace ecrhelm::test {
namespace {

constexpr unsigned short kPtyColumns = 100;

struct PtyResult {
  int exit_code = -1;
  std::string tty;  // what ecrhelm wrote to stderr (the terminal), byte for byte
  std::string out;  // stdout (a pipe)
};

// Runs ecrhelm with stderr on a raw pseudo-terminal kPtyColumns wide, stdout
// on a pipe, stdin from /dev/null, and exactly `env` (plus PATH).
PtyResult run_on_pty(const std::vector<std::string>& args, std::map<std::string, std::string> env) {
  for (const char* keep : {"PATH", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TMPDIR"})
    if (const char* v = std::getenv(keep)) env[keep] = v;
  std::vector<std::string> argv_s = {ECRHELM_BINARY};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<std::string> env_s;
  for (const auto& [k, v] : env) env_s.push_back(k + "=" + v);
  std::vector<char*> argv, envp;
  for (auto& a : argv_s) argv.push_back(a.data());
  for (auto& e : env_s) envp.push_back(e.data());
  argv.push_back(nullptr);
  envp.push_back(nullptr);

  struct termios raw {};
  cfmakeraw(&raw);  // no \n -> \r\n translation: the bytes as written
  struct winsize ws {};
  ws.ws_row = 24;
  ws.ws_col = kPtyColumns;
  int master = -1, slave = -1, out_pipe[2];
  if (::openpty(&master, &slave, nullptr, &raw, &ws) != 0) throw std::runtime_error("openpty");
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
  pid_t pid = ::fork();
  if (pid == 0) {
    int in = ::open("/dev/null", O_RDONLY);
    ::dup2(in, 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(slave, 2);
    ::close(master);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(slave);
  ::close(out_pipe[1]);
  PtyResult r;
  // Read both until EOF (the pty master reports EIO once the child is gone);
  // a 120 s guard kills a hung child rather than hanging the suite.
  bool tty_open = true, out_open = true;
  while (tty_open || out_open) {
    struct pollfd fds[2] = {{tty_open ? master : -1, POLLIN, 0},
                            {out_open ? out_pipe[0] : -1, POLLIN, 0}};
    int n = ::poll(fds, 2, 120000);
    if (n == 0) {
      ::kill(pid, SIGKILL);
      break;
    }
    if (n < 0 && errno == EINTR) continue;
    char buf[65536];
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        (i == 0 ? r.tty : r.out).append(buf, size_t(got));
      } else if (!(got < 0 && errno == EINTR)) {
        (i == 0 ? tty_open : out_open) = false;
      }
    }
  }
  ::close(master);
  ::close(out_pipe[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

size_t count_of(const std::string& s, const std::string& needle) {
  size_t n = 0;
  for (size_t at = s.find(needle); at != std::string::npos; at = s.find(needle, at + 1)) ++n;
  return n;
}

class PullProgressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // 24 MiB: large enough for the transfer to take several redraw intervals
    // on most machines (the assertions below do not depend on how many).
    blob_ = random_bytes_of((24u << 20) + 4321, 11);
    pushed_ = push_chart(registry_.url(), "charts/big", "2.0.0", blob_);
  }
  std::vector<std::string> pull_args(const std::string& dest) {
    return {"pull", "oci://" + registry_.host() + "/charts/big:2.0.0", "--plain-http", "-d", dest};
  }
  std::map<std::string, std::string> env() {
    return {{"HOME", home_.path()}, {"AWS_EC2_METADATA_DISABLED", "true"}};
  }
  RegistryServer registry_;
  TempDir home_;
  std::string blob_;
  PushedArtifact pushed_;
};

TEST_F(PullProgressTest, TerminalShowsTheBarEndingAtTheTotalWithANewline) {
  TempDir dest;
  auto r = run_on_pty(pull_args(dest.path()), env());
  ASSERT_EQ(r.exit_code, 0) << r.tty;
  EXPECT_NE(r.out.find("Pulled: " + registry_.host() + "/charts/big:2.0.0"), std::string::npos)
      << r.out;
  EXPECT_TRUE(read_file(dest.file("big-2.0.0.tgz"), "chart", 64 << 20) == blob_);

  const std::string total = human_bytes(blob_.size());  // "24.0 MiB"
  // At least the first draw (0 bytes) and the last (every byte), each from
  // the start of the line; how many in between depends on the machine.
  EXPECT_GE(count_of(r.tty, "\r"), 2u) << r.tty;
  EXPECT_NE(r.tty.find("\rbig:2.0.0 [>"), std::string::npos) << r.tty;
  EXPECT_NE(r.tty.find("  0%  0 B/" + total), std::string::npos) << r.tty;
  ASSERT_TRUE(r.tty.ends_with("\x1b[K\n")) << r.tty;  // ended with a newline
  std::string last = r.tty.substr(r.tty.rfind('\r') + 1);
  EXPECT_NE(last.find("100%  " + total + "/" + total), std::string::npos) << last;
  EXPECT_NE(last.find("ETA 0:00"), std::string::npos) << last;
  EXPECT_EQ(count_of(r.tty, "\n"), 1u) << "one line, redrawn in place: " << r.tty;
  // Every drawing fits the terminal's width (no wrapping, which would break \r).
  for (size_t at = r.tty.find('\r'); at != std::string::npos; at = r.tty.find('\r', at + 1)) {
    size_t end = r.tty.find("\x1b[K", at);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LT(end - at - 1, size_t(kPtyColumns)) << r.tty.substr(at + 1, end - at - 1);
  }
}

TEST_F(PullProgressTest, QuietFlagDrawsNothingOnTheTerminal) {
  for (const char* flag : {"-q", "--quiet"}) {
    TempDir dest;
    auto args = pull_args(dest.path());
    args.push_back(flag);
    auto r = run_on_pty(args, env());
    ASSERT_EQ(r.exit_code, 0) << flag << ": " << r.tty;
    EXPECT_EQ(r.tty, "") << flag;
    EXPECT_NE(r.out.find("Pulled: "), std::string::npos) << r.out;
    EXPECT_TRUE(file_exists(dest.file("big-2.0.0.tgz")));
  }
}

TEST_F(PullProgressTest, PipeGetsNoProgress) {
  TempDir dest;
  auto r = run_ecrhelm(pull_args(dest.path()), env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");  // stderr a pipe: no bar, as before
  EXPECT_EQ(r.out.find('\r'), std::string::npos);
}

TEST_F(PullProgressTest, AFailedDownloadEndsTheLineBeforeTheError) {
  std::string path = registry_.blob_path(pushed_.chart_digest);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(std::streamoff(blob_.size() - 1));
    f.put(char(blob_.back() ^ 0x01));
  }
  TempDir dest;
  auto r = run_on_pty(pull_args(dest.path()), env());
  EXPECT_EQ(r.exit_code, 1) << r.tty;
  // The bar reached every byte (the digest is checked at the end), then the
  // error starts on a line of its own.
  EXPECT_NE(r.tty.find("\x1b[K\necrhelm: blob does not match its digest"), std::string::npos)
      << r.tty;
  EXPECT_FALSE(file_exists(dest.file("big-2.0.0.tgz")));
}

}  // namespace
}  // namespace ecrhelm::test
