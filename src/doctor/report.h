// What `ecrhelm doctor` prints: one line per check (ok / warn / FAIL /
// skip), the fix under every failure, or the same as a JSON array for
// machines. Kept apart from the checks so the shape is tested alone.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace ecrhelm::doctor {

enum class CheckStatus { kOk, kWarn, kFail, kSkip };
// "ok", "warn", "fail", "skip" (JSON); text output shows "FAIL" in capitals.
const char* to_string(CheckStatus s);

struct CheckResult {
  std::string check;  // "aws.identity", "argocd.secret", ...
  CheckStatus status = CheckStatus::kOk;
  std::string message;  // one line; never a secret value
  std::string fix;      // what to do; empty unless warn or fail
};

class Report {
 public:
  void ok(std::string check, std::string message);
  void warn(std::string check, std::string message, std::string fix = "");
  void fail(std::string check, std::string message, std::string fix);
  void skip(std::string check, std::string reason);

  const std::vector<CheckResult>& results() const { return results_; }
  bool failed() const;
  // Aligned lines, a "fix:" line under each failure or warning with a fix,
  // then a one-line summary.
  std::string text() const;
  // [{check, status, message, fix}] in that key order (fix null when there is none).
  nlohmann::ordered_json json() const;

 private:
  std::vector<CheckResult> results_;
};

// Exit code of `doctor` when a check failed (warnings and skips do not fail).
inline constexpr int kFailedExitCode = 1;

}  // namespace ecrhelm::doctor
