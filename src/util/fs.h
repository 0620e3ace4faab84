// File I/O with the project's rules: errors name the path and what to do;
// writes are atomic (temp file in the same folder + fsync + rename).
#pragma once

#include <sys/types.h>
#include <string>

namespace ecrhelm {

// Whole file; throws kNotFound / kInvalidInput naming `what` (e.g. "web identity token file").
std::string read_file(const std::string& path, const std::string& what,
                      size_t max_bytes = 16 << 20);
bool file_exists(const std::string& path);
// Creates missing parent folders with `dir_mode`, writes data to a temp file
// with `mode`, fsyncs and renames over path. Nothing partial is ever left.
void write_file_atomic(const std::string& path, const std::string& data, mode_t mode = 0600,
                       mode_t dir_mode = 0700);
void make_dirs(const std::string& path, mode_t mode = 0700);
std::string dirname_of(const std::string& path);

// The file a write to `path` should replace: `path` with its symlinks
// followed (up to 40, as the kernel), also when the last target does not
// exist yet. Docker writes a symlinked config.json's target, keeping the link.
std::string resolve_symlinks(const std::string& path);

// An exclusive flock(2) on `path` (created 0600 if missing), held until
// destruction: serializes a read-modify-rename of a file shared by several
// processes. The lock file is a sibling that is never renamed over, so every
// writer locks the same inode.
class FileLock {
 public:
  explicit FileLock(const std::string& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace ecrhelm
