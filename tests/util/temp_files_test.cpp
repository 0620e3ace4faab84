// Temporary files and folders registered with TempFileGuard are removed when
// the process dies of SIGINT, SIGTERM or SIGHUP, and the process still dies
// of that signal (issue 18, defect 2). Each case runs in a forked child.
#include "util/temp_files.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "support/testbed.h"

namespace ecrhelm {
namespace {

class TempFilesTest : public ::testing::TestWithParam<int> {};

TEST_P(TempFilesTest, SignalRemovesRegisteredFilesAndFoldersAndStillKills) {
  const int sig = GetParam();
  test::TempDir dir;
  std::string file = dir.file("chart.part");
  std::string folder = dir.file(".untar");
  std::string kept = dir.file("kept.tgz");
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    install_temp_file_cleanup();
    std::ofstream(file) << "partial";
    std::filesystem::create_directories(folder + "/demo/templates");
    std::ofstream(folder + "/demo/Chart.yaml") << "name: demo\n";
    std::ofstream(folder + "/demo/templates/a.yaml") << "a\n";
    std::ofstream(kept) << "done";
    TempFileGuard g1(file);
    TempFileGuard g2(folder, /*is_folder=*/true);
    TempFileGuard g3(kept);
    g3.release();  // committed: must survive
    ::raise(sig);
    _exit(0);  // not reached
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child did not die of the signal";
  EXPECT_EQ(WTERMSIG(status), sig);
  EXPECT_FALSE(std::filesystem::exists(file)) << "the temp file was left";
  EXPECT_FALSE(std::filesystem::exists(folder)) << "the temp folder was left";
  EXPECT_TRUE(std::filesystem::exists(kept)) << "a released file was removed";
}

INSTANTIATE_TEST_SUITE_P(Signals, TempFilesTest, ::testing::Values(SIGINT, SIGTERM, SIGHUP));

}  // namespace
}  // namespace ecrhelm
