#include "util/temp_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

namespace ecrhelm {
namespace {

enum : int { kFree = 0, kClaimed = 1, kReady = 2 };
constexpr int kMaxFolderDepth = 64;

struct Slot {
  std::atomic<int> state{kFree};
  bool is_folder = false;
  char path[PATH_MAX];
};
Slot g_slots[kMaxTempFiles];

// Async-signal-safe `rm -r`: system calls only, no allocation.
void remove_tree_at(int parent_fd, const char* name, int depth) {
  if (::unlinkat(parent_fd, name, 0) == 0 || depth > kMaxFolderDepth) return;
  int fd = ::openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return;
  alignas(dirent64) char buf[2048];
  bool removed_any = true;
  while (removed_any) {  // entries move as others are removed: reread until empty
    removed_any = false;
    ::lseek(fd, 0, SEEK_SET);
    long n;
    while ((n = ::syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
      for (long off = 0; off < n;) {
        // glibc's dirent64 has the kernel's linux_dirent64 layout.
        auto* d = reinterpret_cast<dirent64*>(buf + off);
        off += d->d_reclen;
        if (std::strcmp(d->d_name, ".") == 0 || std::strcmp(d->d_name, "..") == 0) continue;
        remove_tree_at(fd, d->d_name, depth + 1);
        removed_any = true;
      }
    }
    if (::unlinkat(parent_fd, name, AT_REMOVEDIR) == 0) break;
  }
  ::close(fd);
  ::unlinkat(parent_fd, name, AT_REMOVEDIR);
}

extern "C" void on_fatal_signal(int sig) {
  for (auto& s : g_slots) {
    if (s.state.load() != kReady) continue;
    if (s.is_folder)
      remove_tree_at(AT_FDCWD, s.path, 0);
    else
      ::unlink(s.path);
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

}  // namespace

void install_temp_file_cleanup() {
  static std::atomic<bool> done{false};
  if (done.exchange(true)) return;
  struct sigaction sa {};
  sa.sa_handler = on_fatal_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&sa.sa_mask, sig);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
}

TempFileGuard::TempFileGuard(const std::string& path, bool is_folder) {
  if (path.size() >= PATH_MAX) return;
  for (int i = 0; i < kMaxTempFiles; ++i) {
    int expected = kFree;
    if (g_slots[i].state.compare_exchange_strong(expected, kClaimed)) {
      std::memcpy(g_slots[i].path, path.c_str(), path.size() + 1);
      g_slots[i].is_folder = is_folder;
      g_slots[i].state.store(kReady);
      slot_ = i;
      return;
    }
  }
}

TempFileGuard::~TempFileGuard() { release(); }

void TempFileGuard::release() {
  if (slot_ >= 0) g_slots[slot_].state.store(kFree);
  slot_ = -1;
}

}  // namespace ecrhelm
