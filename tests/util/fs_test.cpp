// Atomic writes (modes, parents, no leftovers, failures that keep the old
// file) and read_file's errors.
#include "util/fs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "support/testbed.h"
#include "util/error.h"

namespace ecrhelm {
namespace {

using test::TempDir;
using ::testing::HasSubstr;

class UmaskGuard {
 public:
  explicit UmaskGuard(mode_t m) : old_(::umask(m)) {}
  ~UmaskGuard() { ::umask(old_); }

 private:
  mode_t old_;
};

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST(WriteFileAtomic, WritesContent) {
  TempDir dir;
  std::string p = dir.file("config.json");
  write_file_atomic(p, "{\"a\":1}");
  EXPECT_EQ(read_file(p, "config"), "{\"a\":1}");
}

TEST(WriteFileAtomic, WritesEmptyAndBinaryContent) {
  TempDir dir;
  write_file_atomic(dir.file("empty"), "");
  EXPECT_EQ(read_file(dir.file("empty"), "x"), "");
  std::string binary("\0\x01\xff\n\r", 5);
  write_file_atomic(dir.file("bin"), binary);
  EXPECT_EQ(read_file(dir.file("bin"), "x"), binary);
}

TEST(WriteFileAtomic, CreatesParentsWithTheDirMode) {
  TempDir dir;
  UmaskGuard umask(0);
  std::string p = dir.path() + "/a/b/c/file";
  write_file_atomic(p, "x", 0600, 0750);
  EXPECT_EQ(mode_of(dir.path() + "/a"), 0750u);
  EXPECT_EQ(mode_of(dir.path() + "/a/b"), 0750u);
  EXPECT_EQ(mode_of(dir.path() + "/a/b/c"), 0750u);
  EXPECT_EQ(read_file(p, "x"), "x");
  // An existing folder keeps its own mode.
  EXPECT_EQ(mode_of(dir.path()), 0700u);
}

TEST(WriteFileAtomic, DirModeIsExactEvenWithARestrictiveUmask) {
  TempDir dir;
  UmaskGuard umask(077);
  write_file_atomic(dir.path() + "/helm/registry/config.json", "{}", 0644, 0755);
  EXPECT_EQ(mode_of(dir.path() + "/helm"), 0755u);
  EXPECT_EQ(mode_of(dir.path() + "/helm/registry"), 0755u);
  EXPECT_EQ(mode_of(dir.path() + "/helm/registry/config.json"), 0644u);
}

TEST(WriteFileAtomic, DefaultModesAre0600And0700) {
  TempDir dir;
  UmaskGuard umask(0);
  write_file_atomic(dir.path() + "/d/secret", "s");
  EXPECT_EQ(mode_of(dir.path() + "/d"), 0700u);
  EXPECT_EQ(mode_of(dir.path() + "/d/secret"), 0600u);
}

TEST(WriteFileAtomic, FileModeIs0600EvenWithAPermissiveUmask) {
  TempDir dir;
  UmaskGuard umask(0);
  std::string p = dir.file("token");
  write_file_atomic(p, "secret", 0600);
  EXPECT_EQ(mode_of(p), 0600u);
}

TEST(WriteFileAtomic, ReplacingAWorldReadableFileTightensItsMode) {
  TempDir dir;
  UmaskGuard umask(0);
  std::string p = dir.file("token");
  write_file_atomic(p, "old", 0644);
  EXPECT_EQ(mode_of(p), 0644u);
  write_file_atomic(p, "new", 0600);
  EXPECT_EQ(mode_of(p), 0600u);
  EXPECT_EQ(read_file(p, "token"), "new");
}

TEST(WriteFileAtomic, ReplacesExistingContent) {
  TempDir dir;
  std::string p = dir.file("f");
  write_file_atomic(p, std::string(10000, 'a'));
  write_file_atomic(p, "short");
  EXPECT_EQ(read_file(p, "f"), "short");
  write_file_atomic(p, "longer content");
  EXPECT_EQ(read_file(p, "f"), "longer content");
}

TEST(WriteFileAtomic, LeavesNoTempFilesBehind) {
  TempDir dir;
  for (int i = 0; i < 10; ++i) write_file_atomic(dir.file("f"), std::to_string(i));
  write_file_atomic(dir.file("g"), "g");
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"f", "g"}));
}

TEST(WriteFileAtomic, ConcurrentWritersNeverProduceAMixture) {
  TempDir dir;
  std::string p = dir.file("f");
  std::vector<std::string> contents;
  for (char c : std::string("abcdef")) contents.emplace_back(200000, c);
  std::vector<std::thread> threads;
  for (const auto& c : contents) {
    threads.emplace_back([&p, &c] {
      for (int i = 0; i < 5; ++i) write_file_atomic(p, c);
    });
  }
  for (auto& t : threads) t.join();
  std::string final_content = read_file(p, "f");
  EXPECT_NE(std::find(contents.begin(), contents.end(), final_content), contents.end());
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"f"}));
}

TEST(WriteFileAtomic, FailsNamingThePathWhenTheParentIsARegularFile) {
  TempDir dir;
  std::string blocker = dir.write("blocker", "i am a file");
  for (const std::string& p : {blocker + "/config.json", blocker + "/deeper/config.json"}) {
    try {
      write_file_atomic(p, "data");
      FAIL() << "write under a regular file succeeded: " << p;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
      EXPECT_THAT(e.what(), HasSubstr(p));
    }
  }
  EXPECT_EQ(read_file(blocker, "blocker"), "i am a file");
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"blocker"}));
}

TEST(WriteFileAtomic, FailsNamingThePathWhenTheFolderIsNotWritable) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores folder permissions";
  TempDir dir;
  std::string sub = dir.path() + "/ro";
  write_file_atomic(sub + "/f", "old");
  ASSERT_EQ(::chmod(sub.c_str(), 0500), 0);
  try {
    write_file_atomic(sub + "/f", "new");
    ADD_FAILURE() << "write into a read-only folder succeeded";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr(sub + "/f"));
  }
  ::chmod(sub.c_str(), 0700);
  EXPECT_EQ(read_file(sub + "/f", "f"), "old");
  EXPECT_EQ(list_dir(sub), (std::vector<std::string>{"f"}));
}

// A write that fails half way (the file size limit, which binds root too)
// leaves the old file intact and no temp file.
TEST(WriteFileAtomic, AFailedWriteKeepsTheOldFileAndCleansUp) {
  TempDir dir;
  std::string p = dir.file("f");
  write_file_atomic(p, "old content");

  struct rlimit old_limit {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old_limit;
  small.rlim_cur = 4096;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  bool threw = false;
  std::string message;
  try {
    write_file_atomic(p, std::string(1 << 20, 'n'));
  } catch (const Error& e) {
    threw = true;
    message = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  ::signal(SIGXFSZ, old_handler);

  EXPECT_TRUE(threw);
  EXPECT_THAT(message, HasSubstr(p));
  EXPECT_EQ(read_file(p, "f"), "old content");
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"f"}));
}

TEST(MakeDirs, FailsOnARegularFile) {
  TempDir dir;
  std::string f = dir.write("file", "x");
  try {
    make_dirs(f);
    FAIL() << "make_dirs over a file succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_THAT(e.what(), HasSubstr(f));
  }
}

TEST(MakeDirs, IsIdempotent) {
  TempDir dir;
  make_dirs(dir.path() + "/x/y");
  make_dirs(dir.path() + "/x/y");
  make_dirs(dir.path() + "/x/y/");
  EXPECT_TRUE(std::filesystem::is_directory(dir.path() + "/x/y"));
  make_dirs("");
  make_dirs(".");
  make_dirs("/");
}

TEST(ReadFile, MissingFileIsNotFoundNamingPathAndWhat) {
  TempDir dir;
  std::string p = dir.file("nope");
  try {
    read_file(p, "web identity token file");
    FAIL() << "read of a missing file succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
    EXPECT_THAT(e.what(), HasSubstr(p));
    EXPECT_THAT(e.what(), HasSubstr("web identity token file"));
  }
}

TEST(ReadFile, TooLargeIsInvalidInputNamingThePath) {
  TempDir dir;
  std::string p = dir.write("big", std::string(1001, 'x'));
  try {
    read_file(p, "token file", 1000);
    FAIL() << "oversized read succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_THAT(e.what(), HasSubstr(p));
    EXPECT_THAT(e.what(), HasSubstr("token file"));
    EXPECT_THAT(e.what(), HasSubstr("1000"));
  }
  EXPECT_EQ(read_file(p, "token file", 1001).size(), 1001u);
}

TEST(ReadFile, LargerThanOneBufferIsReadWhole) {
  TempDir dir;
  std::string content;
  for (int i = 0; i < 100000; ++i) content += static_cast<char>('a' + i % 26);
  std::string p = dir.write("big", content);
  EXPECT_EQ(read_file(p, "x"), content);
}

TEST(ReadFile, AFolderIsAnError) {
  TempDir dir;
  try {
    read_file(dir.path(), "kubeconfig");
    FAIL() << "reading a folder succeeded";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr(dir.path()));
    EXPECT_THAT(e.what(), HasSubstr("kubeconfig"));
  }
}

TEST(FileExists, FilesAndFolders) {
  TempDir dir;
  EXPECT_TRUE(file_exists(dir.path()));
  EXPECT_FALSE(file_exists(dir.file("missing")));
  EXPECT_TRUE(file_exists(dir.write("f", "")));
}

TEST(DirnameOf, Cases) {
  EXPECT_EQ(dirname_of("/a/b/c"), "/a/b");
  EXPECT_EQ(dirname_of("a/b"), "a");
  EXPECT_EQ(dirname_of("a"), ".");
  EXPECT_EQ(dirname_of("/a"), "/");
  EXPECT_EQ(dirname_of("/"), "/");
}

TEST(WriteFileAtomic, RelativePathInTheCurrentFolder) {
  TempDir dir;
  auto old = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  write_file_atomic("rel.txt", "r");
  write_file_atomic("sub/rel.txt", "s");
  std::filesystem::current_path(old);
  EXPECT_EQ(read_file(dir.file("rel.txt"), "x"), "r");
  EXPECT_EQ(read_file(dir.file("sub/rel.txt"), "x"), "s");
}

}  // namespace
}  // namespace ecrhelm
