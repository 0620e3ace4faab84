#include "doctor/report.h"

#include <fmt/format.h>

#include <algorithm>

namespace ecrhelm::doctor {
namespace {

// Messages come from errors and objects: keep every result on one line.
std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  std::replace(s.begin(), s.end(), '\r', ' ');
  return s;
}

}  // namespace

const char* to_string(CheckStatus s) {
  switch (s) {
    case CheckStatus::kOk:
      return "ok";
    case CheckStatus::kWarn:
      return "warn";
    case CheckStatus::kFail:
      return "fail";
    case CheckStatus::kSkip:
      return "skip";
  }
  return "?";
}

namespace {
// The text form shouts failures, as a terminal reader scans for them.
const char* label(CheckStatus s) { return s == CheckStatus::kFail ? "FAIL" : to_string(s); }
}  // namespace

void Report::ok(std::string check, std::string message) {
  results_.push_back({std::move(check), CheckStatus::kOk, one_line(std::move(message)), ""});
}

void Report::warn(std::string check, std::string message, std::string fix) {
  results_.push_back(
      {std::move(check), CheckStatus::kWarn, one_line(std::move(message)), one_line(fix)});
}

void Report::fail(std::string check, std::string message, std::string fix) {
  results_.push_back(
      {std::move(check), CheckStatus::kFail, one_line(std::move(message)), one_line(fix)});
}

void Report::skip(std::string check, std::string reason) {
  results_.push_back({std::move(check), CheckStatus::kSkip, one_line(std::move(reason)), ""});
}

bool Report::failed() const {
  return std::any_of(results_.begin(), results_.end(),
                     [](const CheckResult& r) { return r.status == CheckStatus::kFail; });
}

std::string Report::text() const {
  size_t width = 0;
  for (const auto& r : results_) width = std::max(width, r.check.size());
  std::string out;
  int counts[4] = {0, 0, 0, 0};
  for (const auto& r : results_) {
    ++counts[static_cast<int>(r.status)];
    out += fmt::format("{:<5} {:<{}}  {}\n", label(r.status), r.check, width, r.message);
    if (!r.fix.empty()) out += fmt::format("{:<{}}fix: {}\n", "", width + 8, r.fix);
  }
  out += fmt::format("{} ok, {} warning{}, {} failed, {} skipped\n", counts[0], counts[1],
                     counts[1] == 1 ? "" : "s", counts[2], counts[3]);
  return out;
}

nlohmann::ordered_json Report::json() const {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (const auto& r : results_) {
    arr.push_back(
        {{"check", r.check},
         {"status", to_string(r.status)},
         {"message", r.message},
         {"fix", r.fix.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.fix)}});
  }
  return arr;
}

}  // namespace ecrhelm::doctor
