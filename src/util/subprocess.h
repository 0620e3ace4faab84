// Runs a helper program (credential_process, docker-credential-*, exec
// plugins): feeds stdin, captures bounded stdout/stderr, enforces a timeout.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace ecrhelm {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal or the timeout
  bool timed_out = false;
  bool output_truncated = false;  // stdout or stderr hit its cap
  std::string out;
  std::string err;
};

struct ProcessOptions {
  std::string stdin_data;
  std::chrono::milliseconds timeout{60000};
  size_t max_stdout = 1 << 20;
  size_t max_stderr = 64 << 10;
  std::map<std::string, std::string> extra_env;  // added to the inherited environment
};

// argv[0] is looked up on PATH. Throws Error(kNotFound) when it cannot be started.
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& opts = {});

}  // namespace ecrhelm
