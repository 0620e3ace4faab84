#include "util/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "util/error.h"

extern char** environ;

namespace ecrhelm {
namespace {

constexpr std::chrono::milliseconds kOutputGraceAfterExit{200};
constexpr std::chrono::milliseconds kPollSlice{50};

struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() {
    if (::pipe2(fd, O_CLOEXEC) != 0)
      fail(ErrorKind::kInternal, "pipe2 failed: {}", std::strerror(errno));
  }
  ~Pipe() {
    close_end(0);
    close_end(1);
  }
  void close_end(int i) {
    if (fd[i] >= 0) ::close(fd[i]);
    fd[i] = -1;
  }
};

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& opts) {
  if (argv.empty()) fail(ErrorKind::kInternal, "run_process called without a program");
  Pipe in, out, err;

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in.fd[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out.fd[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err.fd[1], 2);

  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos && opts.extra_env.count(kv.substr(0, eq))) continue;
    env_store.push_back(std::move(kv));
  }
  for (const auto& [k, v] : opts.extra_env) env_store.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_store) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> cargv;
  for (auto& a : args) cargv.push_back(a.data());
  cargv.push_back(nullptr);

  // Its own process group, so a timeout kills what it started too (a helper
  // that runs another program that hangs).
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, cargv[0], &fa, &attr, cargv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    fail(ErrorKind::kNotFound, "cannot run {}: {}; check that it is installed and on PATH", argv[0],
         std::strerror(rc));
  }
  in.close_end(0);
  out.close_end(1);
  err.close_end(1);

  ProcessResult result;
  size_t written = 0;
  if (opts.stdin_data.empty())
    in.close_end(1);
  else
    ::fcntl(in.fd[1], F_SETFL, O_NONBLOCK);
  auto deadline = std::chrono::steady_clock::now() + opts.timeout;
  signal(SIGPIPE, SIG_IGN);

  int status = 0;
  bool reaped = false;
  // When the child has exited but something it started keeps its output
  // open, the output ends once the pipes have been quiet this long.
  std::chrono::steady_clock::time_point quiet_since{};
  while (out.fd[0] >= 0 || err.fd[0] >= 0) {
    auto now = std::chrono::steady_clock::now();
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    if (left.count() <= 0) {
      result.timed_out = true;
      break;
    }
    if (!reaped) {
      pid_t w = ::waitpid(pid, &status, WNOHANG);
      if (w == pid) {
        reaped = true;
        quiet_since = now;
      }
    } else if (now - quiet_since >= kOutputGraceAfterExit) {
      break;
    }
    left = std::min(left, std::chrono::duration_cast<std::chrono::milliseconds>(kPollSlice));
    pollfd pfds[3];
    int n = 0;
    int idx_out = -1, idx_err = -1, idx_in = -1;
    if (out.fd[0] >= 0) {
      pfds[n] = {out.fd[0], POLLIN, 0};
      idx_out = n++;
    }
    if (err.fd[0] >= 0) {
      pfds[n] = {err.fd[0], POLLIN, 0};
      idx_err = n++;
    }
    if (in.fd[1] >= 0) {
      pfds[n] = {in.fd[1], POLLOUT, 0};
      idx_in = n++;
    }
    int pr = ::poll(pfds, nfds_t(n), int(left.count()));
    if (pr < 0) {
      if (errno == EINTR) continue;
      break;
    }
    auto drain = [&](int idx, Pipe& p, std::string& buf, size_t cap) {
      if (idx < 0 || !(pfds[idx].revents & (POLLIN | POLLHUP | POLLERR))) return;
      char tmp[8192];
      ssize_t r = ::read(p.fd[0], tmp, sizeof tmp);
      if (r <= 0) {
        if (r < 0 && errno == EINTR) return;
        p.close_end(0);
        return;
      }
      size_t room = cap > buf.size() ? cap - buf.size() : 0;
      if (size_t(r) > room) result.output_truncated = true;
      buf.append(tmp, std::min(size_t(r), room));
    };
    if (pr > 0) quiet_since = std::chrono::steady_clock::now();
    drain(idx_out, out, result.out, opts.max_stdout);
    drain(idx_err, err, result.err, opts.max_stderr);
    if (idx_in >= 0 && (pfds[idx_in].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w =
          ::write(in.fd[1], opts.stdin_data.data() + written, opts.stdin_data.size() - written);
      if (w > 0) written += size_t(w);
      if (w < 0 && errno != EAGAIN && errno != EINTR) in.close_end(1);
      if (written >= opts.stdin_data.size()) in.close_end(1);
    }
  }
  in.close_end(1);
  // The child may close its output and keep running: the timeout still holds.
  while (!result.timed_out && !reaped) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid || (w < 0 && errno != EINTR)) {
      reaped = w == pid;
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      result.timed_out = true;
      break;
    }
    ::usleep(5000);
  }
  if (result.timed_out) {
    ::kill(-pid, SIGKILL);  // the whole group: its children too
    ::kill(pid, SIGKILL);   // in case it left the group
  }
  if (!reaped) {
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (!result.timed_out && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

}  // namespace ecrhelm
