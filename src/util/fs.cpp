#include "util/fs.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/crypto.h"
#include "util/encoding.h"
#include "util/error.h"
#include "util/temp_files.h"

namespace ecrhelm {

std::string read_file(const std::string& path, const std::string& what, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    fail(e == ENOENT ? ErrorKind::kNotFound : ErrorKind::kInvalidInput,
         "cannot read {} {}: {}; check the path and its permissions", what, path, std::strerror(e));
  }
  std::string out;
  char buf[16384];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      fail(ErrorKind::kInvalidInput, "cannot read {} {}: {}", what, path, std::strerror(e));
    }
    if (n == 0) break;
    out.append(buf, size_t(n));
    if (out.size() > max_bytes) {
      ::close(fd);
      fail(ErrorKind::kInvalidInput, "{} {} is larger than {} bytes; point to the right file", what,
           path, max_bytes);
    }
  }
  ::close(fd);
  return out;
}

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::string dirname_of(const std::string& path) {
  auto p = path.find_last_of('/');
  if (p == std::string::npos) return ".";
  if (p == 0) return "/";
  return path.substr(0, p);
}

void make_dirs(const std::string& path, mode_t mode) {
  if (path.empty() || path == "." || path == "/") return;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) fail(ErrorKind::kInvalidInput, "{} exists and is not a folder", path);
    return;
  }
  make_dirs(dirname_of(path), mode);
  if (::mkdir(path.c_str(), mode) != 0) {
    int e = errno;
    if (e == EEXIST) return;  // created concurrently
    fail(ErrorKind::kInvalidInput, "cannot create folder {}: {}", path, std::strerror(e));
  }
  // mkdir applies the umask; the folder must have exactly `mode`.
  if (::chmod(path.c_str(), mode) != 0) {
    int e = errno;
    fail(ErrorKind::kInvalidInput, "cannot set the mode of folder {}: {}", path, std::strerror(e));
  }
}

void write_file_atomic(const std::string& path, const std::string& data, mode_t mode,
                       mode_t dir_mode) {
  std::string dir = dirname_of(path);
  try {
    make_dirs(dir, dir_mode);
  } catch (const Error& e) {
    fail(e.kind(), "cannot write {}: {}", path, e.what());
  }
  std::string tmp = path + ".tmp-" + hex_encode(random_bytes(6));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    int e = errno;
    fail(ErrorKind::kInvalidInput, "cannot write {}: {}; check the folder's permissions", path,
         std::strerror(e));
  }
  TempFileGuard on_signal(tmp);
  auto cleanup_fail = [&](const char* step) {
    int e = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    fail(ErrorKind::kInvalidInput, "cannot write {} ({}): {}", path, step, std::strerror(e));
  };
  if (::fchmod(fd, mode) != 0) cleanup_fail("chmod");
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      cleanup_fail("write");
    }
    off += size_t(n);
  }
  if (::fsync(fd) != 0) cleanup_fail("fsync");
  if (::close(fd) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    fail(ErrorKind::kInvalidInput, "cannot write {} (close): {}", path, std::strerror(e));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    fail(ErrorKind::kInvalidInput, "cannot replace {}: {}", path, std::strerror(e));
  }
}

std::string resolve_symlinks(const std::string& path) {
  std::string p = path;
  for (int hop = 0; hop < 40; ++hop) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return p;
    char buf[4096];
    ssize_t n = ::readlink(p.c_str(), buf, sizeof buf - 1);
    if (n <= 0) return p;
    std::string target(buf, size_t(n));
    p = target.starts_with("/") ? target : dirname_of(p) + "/" + target;
  }
  fail(ErrorKind::kInvalidInput, "{}: too many levels of symbolic links; fix the link", path);
}

FileLock::FileLock(const std::string& path) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd_ < 0) {
    int e = errno;
    fail(ErrorKind::kInvalidInput, "cannot open lock file {}: {}; check the folder's permissions",
         path, std::strerror(e));
  }
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    int e = errno;
    ::close(fd_);
    fail(ErrorKind::kInvalidInput, "cannot lock {}: {}", path, std::strerror(e));
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

}  // namespace ecrhelm
