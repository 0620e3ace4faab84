// run_process: capture, stdin, exit codes, timeouts, output caps, environment
// and start failures. Timing checks are hang guards only.
#include "util/subprocess.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "util/error.h"

namespace ecrhelm {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

ProcessResult sh(const std::string& script, ProcessOptions opts = {}) {
  return run_process({"sh", "-c", script}, opts);
}

TEST(RunProcess, CapturesStdoutAndStderrSeparately) {
  auto r = sh("printf out; printf err >&2");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "out");
  EXPECT_EQ(r.err, "err");
  EXPECT_FALSE(r.timed_out);
  EXPECT_FALSE(r.output_truncated);
}

TEST(RunProcess, PassesArgumentsVerbatim) {
  auto r = run_process({"printf", "%s|%s|%s", "a b", "", "$HOME;*"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "a b||$HOME;*");
}

TEST(RunProcess, ReportsExitCodes) {
  EXPECT_EQ(sh("exit 0").exit_code, 0);
  EXPECT_EQ(sh("exit 1").exit_code, 1);
  EXPECT_EQ(sh("exit 42").exit_code, 42);
  EXPECT_EQ(sh("exit 255").exit_code, 255);
  EXPECT_EQ(run_process({"false"}).exit_code, 1);
}

TEST(RunProcess, KilledBySignalIsMinusOne) {
  auto r = sh("kill -9 $$");
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_FALSE(r.timed_out);
}

TEST(RunProcess, FeedsStdin) {
  ProcessOptions opts;
  opts.stdin_data = "hello\nworld\n";
  auto r = run_process({"cat"}, opts);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "hello\nworld\n");
}

TEST(RunProcess, EmptyStdinIsEof) {
  auto r = run_process({"cat"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_FALSE(r.timed_out);
}

TEST(RunProcess, PipesOneMebibyteThroughCat) {
  std::string big;
  big.reserve(1 << 20);
  for (size_t i = 0; i < (1u << 20); ++i) big += static_cast<char>('A' + i % 61);
  ProcessOptions opts;
  opts.stdin_data = big;
  opts.max_stdout = 2 << 20;
  opts.timeout = 60s;
  auto r = run_process({"cat"}, opts);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_FALSE(r.timed_out);
  EXPECT_FALSE(r.output_truncated);
  ASSERT_EQ(r.out.size(), big.size());
  EXPECT_TRUE(r.out == big);
}

TEST(RunProcess, StdinWithBinaryBytes) {
  ProcessOptions opts;
  opts.stdin_data = std::string("\0\x01\xff", 3);
  auto r = run_process({"cat"}, opts);
  EXPECT_EQ(r.out, opts.stdin_data);
}

TEST(RunProcess, ChildThatIgnoresStdinStillFinishes) {
  ProcessOptions opts;
  opts.stdin_data = std::string(1 << 20, 'x');  // larger than a pipe buffer
  opts.timeout = 60s;
  auto r = sh("printf done", opts);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "done");
  EXPECT_FALSE(r.timed_out);
}

TEST(RunProcess, TimeoutKillsTheChild) {
  ProcessOptions opts;
  opts.timeout = 300ms;
  auto start = std::chrono::steady_clock::now();
  auto r = run_process({"sleep", "30"}, opts);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_LT(elapsed, 20s) << "hang guard";
}

TEST(RunProcess, TimeoutHoldsWhenTheChildClosesItsOutput) {
  // The child closes stdout and stderr and keeps running.
  ProcessOptions opts;
  opts.timeout = 300ms;
  auto start = std::chrono::steady_clock::now();
  auto r = sh("printf partial; exec >&- 2>&-; exec sleep 30", opts);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_EQ(r.out, "partial");
  EXPECT_LT(elapsed, 20s) << "hang guard";
}

TEST(RunProcess, OutputBeforeATimeoutIsKept) {
  ProcessOptions opts;
  opts.timeout = 500ms;
  auto r = sh("printf early; exec sleep 30", opts);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.out, "early");
}

TEST(RunProcess, StdoutCapSetsTruncated) {
  ProcessOptions opts;
  opts.max_stdout = 1000;
  auto r = sh("head -c 100000 /dev/zero | tr '\\0' a", opts);
  EXPECT_EQ(r.exit_code, 0) << "the child must not block on a full pipe";
  EXPECT_TRUE(r.output_truncated);
  EXPECT_EQ(r.out, std::string(1000, 'a'));
}

TEST(RunProcess, StderrCapSetsTruncated) {
  ProcessOptions opts;
  opts.max_stderr = 10;
  auto r = sh("printf 0123456789ABCDEF >&2; printf ok", opts);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(r.output_truncated);
  EXPECT_EQ(r.err, "0123456789");
  EXPECT_EQ(r.out, "ok");
}

TEST(RunProcess, OutputExactlyAtTheCapIsNotTruncated) {
  ProcessOptions opts;
  opts.max_stdout = 5;
  auto r = sh("printf 12345", opts);
  EXPECT_FALSE(r.output_truncated);
  EXPECT_EQ(r.out, "12345");
}

TEST(RunProcess, ExtraEnvReachesTheChild) {
  ProcessOptions opts;
  opts.extra_env["ECRHELM_TEST_VAR"] = "value with spaces=and equals";
  auto r = sh("printf '%s' \"$ECRHELM_TEST_VAR\"", opts);
  EXPECT_EQ(r.out, "value with spaces=and equals");
}

TEST(RunProcess, ExtraEnvOverridesInheritedVariables) {
  ::setenv("ECRHELM_TEST_OVERRIDE", "parent", 1);
  ProcessOptions opts;
  opts.extra_env["ECRHELM_TEST_OVERRIDE"] = "child";
  auto r = run_process({"env"}, opts);
  ::unsetenv("ECRHELM_TEST_OVERRIDE");
  EXPECT_THAT(r.out, HasSubstr("ECRHELM_TEST_OVERRIDE=child\n"));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("ECRHELM_TEST_OVERRIDE=parent")));
}

TEST(RunProcess, InheritsTheParentEnvironment) {
  ::setenv("ECRHELM_TEST_INHERITED", "yes", 1);
  auto r = sh("printf '%s' \"$ECRHELM_TEST_INHERITED\"");
  ::unsetenv("ECRHELM_TEST_INHERITED");
  EXPECT_EQ(r.out, "yes");
}

TEST(RunProcess, MissingProgramThrowsNotFound) {
  try {
    run_process({"ecrhelm-no-such-program-xyz"});
    FAIL() << "a missing program was started";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
    EXPECT_THAT(e.what(), HasSubstr("ecrhelm-no-such-program-xyz"));
  }
}

TEST(RunProcess, MissingAbsolutePathThrowsNotFound) {
  EXPECT_THROW(run_process({"/nonexistent/dir/program"}), Error);
}

TEST(RunProcess, EmptyArgvThrows) { EXPECT_THROW(run_process({}), Error); }

TEST(RunProcess, ParallelCallsDoNotMixOutputs) {
  std::vector<std::thread> threads;
  std::vector<ProcessResult> results(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([i, &results] {
      ProcessOptions opts;
      opts.stdin_data = std::string(100000, static_cast<char>('a' + i));
      results[size_t(i)] = run_process({"cat"}, opts);
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(results[size_t(i)].exit_code, 0);
    EXPECT_EQ(results[size_t(i)].out, std::string(100000, static_cast<char>('a' + i))) << i;
  }
}

}  // namespace
}  // namespace ecrhelm

// Issue 18, defect 5: a hung helper's own children die with it, and a helper
// that exits while a child of its keeps its output open is not waited for
// until the timeout.
namespace ecrhelm {
namespace {

bool gone(pid_t pid) {
  // Dead, or a zombie waiting for init to reap it.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  auto close_paren = line.rfind(')');
  return close_paren != std::string::npos && line.size() > close_paren + 2 &&
         line[close_paren + 2] == 'Z';
}

pid_t read_pid(const std::string& path) {
  std::ifstream in(path);
  pid_t pid = 0;
  in >> pid;
  return pid;
}

TEST(RunProcess, TimeoutKillsTheChildsChildrenToo) {
  std::string pidfile = ::testing::TempDir() + "/grandchild-" + std::to_string(::getpid());
  ProcessOptions o;
  o.timeout = 500ms;
  auto r = sh("sleep 300 & echo $! > " + pidfile + "; wait", o);
  EXPECT_TRUE(r.timed_out);
  pid_t grandchild = read_pid(pidfile);
  ASSERT_GT(grandchild, 0);
  auto deadline = std::chrono::steady_clock::now() + 10s;  // watchdog
  while (!gone(grandchild) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  EXPECT_TRUE(gone(grandchild)) << "the helper's child " << grandchild << " was orphaned";
  if (!gone(grandchild)) ::kill(grandchild, SIGKILL);
  std::remove(pidfile.c_str());
}

TEST(RunProcess, ExitedChildIsNotWaitedForWhileItsChildHoldsTheOutput) {
  std::string pidfile = ::testing::TempDir() + "/holder-" + std::to_string(::getpid());
  ProcessOptions o;
  o.timeout = 60s;
  auto start = std::chrono::steady_clock::now();
  auto r = sh("sleep 300 & echo $! > " + pidfile + "; echo '{\"done\":true}'", o);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "{\"done\":true}\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);  // watchdog: not the 60 s timeout
  if (pid_t p = read_pid(pidfile); p > 0) ::kill(p, SIGKILL);
  std::remove(pidfile.c_str());
}

}  // namespace
}  // namespace ecrhelm
