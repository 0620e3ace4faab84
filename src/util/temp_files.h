// Temporary files that must not outlive the process: a SIGINT, SIGTERM or
// SIGHUP while one is being written (a chart's .part file, --untar's folder,
// a config's temp) removes it before the process dies of the signal, as a
// normal error path does. The table is fixed-size and the handler uses only
// unlinkat/openat/getdents64/rmdir, so it stays async-signal-safe.
#pragma once

#include <string>

namespace ecrhelm {

// Installs the handler for SIGINT, SIGTERM and SIGHUP (once; later handlers,
// e.g. the controller's graceful stop, replace it). The handler unlinks every
// registered path, restores the default action and re-raises the signal.
void install_temp_file_cleanup();

// Registers `path` (a file, or a folder removed with all it holds) for
// removal on those signals while this object lives. More than kMaxTempFiles
// at once: the extra ones are not covered.
class TempFileGuard {
 public:
  explicit TempFileGuard(const std::string& path, bool is_folder = false);
  ~TempFileGuard();
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;
  // The file was renamed into place (or removed): nothing to clean up.
  void release();

 private:
  int slot_ = -1;
};

inline constexpr int kMaxTempFiles = 64;

}  // namespace ecrhelm
