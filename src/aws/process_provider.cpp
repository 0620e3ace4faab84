// credential_process support: runs the profile's command with a timeout and output cap, and turns
// its JSON into Credentials without ever putting a secret into an error message.
#include "aws/process_provider.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/secret.h"
#include "util/strings.h"
#include "util/subprocess.h"

namespace ecrhelm::aws {
namespace {

// How much of the command's stderr an error message quotes.
inline constexpr size_t kMaxStderrInMessage = 200;

constexpr const char* kExpectedShape =
    R"({"Version": 1, "AccessKeyId": "...", "SecretAccessKey": "...", "SessionToken": "...", )"
    R"("Expiration": "2026-01-01T00:00:00Z"})";

std::string first_line(std::string_view text) {
  text = trim(text);
  auto nl = text.find('\n');
  std::string_view line = trim(text.substr(0, nl));
  if (line.size() > kMaxStderrInMessage) {
    return std::string(line.substr(0, kMaxStderrInMessage)) + "...";
  }
  return std::string(line);
}

// A short, printable rendering of a non-secret JSON value for messages.
std::string shown(const nlohmann::json& v) {
  std::string s = v.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
  if (s.size() > 40) s = s.substr(0, 40) + "...";
  return s;
}

// A required non-empty string field.
std::string required_string(const nlohmann::json& doc, const char* field,
                            std::string_view profile) {
  auto it = doc.find(field);
  if (it == doc.end() || it->is_null()) {
    fail(ErrorKind::kInvalidInput,
         "credential_process for profile {} printed no {}; the output must look like {}", profile,
         field, kExpectedShape);
  }
  if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
    fail(ErrorKind::kInvalidInput,
         "credential_process for profile {} printed a {} that is not a non-empty string", profile,
         field);
  }
  return it->get<std::string>();
}

// An optional string field: nullopt when absent or null.
std::optional<std::string> optional_string(const nlohmann::json& doc, const char* field,
                                           std::string_view profile) {
  auto it = doc.find(field);
  if (it == doc.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) {
    fail(ErrorKind::kInvalidInput,
         "credential_process for profile {} printed a {} that is not a string", profile, field);
  }
  return it->get<std::string>();
}

}  // namespace

Credentials parse_process_output(std::string_view json, std::string_view profile) {
  auto doc = nlohmann::json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    // The parser's own message quotes the input, which holds the secret: not used.
    fail(ErrorKind::kInvalidInput,
         "credential_process for profile {} printed output that is not JSON ({} bytes); it must "
         "print one object like {}",
         profile, json.size(), kExpectedShape);
  }
  if (!doc.is_object()) {
    fail(ErrorKind::kInvalidInput,
         "credential_process for profile {} printed JSON that is not an object; it must print one "
         "object like {}",
         profile, kExpectedShape);
  }
  auto version = doc.find("Version");
  if (version == doc.end()) {
    fail(ErrorKind::kInvalidInput,
         "credential_process for profile {} printed no Version; add \"Version\": 1", profile);
  }
  if (!version->is_number_integer() || version->get<int64_t>() != 1) {
    fail(ErrorKind::kInvalidInput,
         "credential_process for profile {} printed Version {}; only Version 1 is supported",
         profile, shown(*version));
  }

  Credentials c;
  c.access_key_id = required_string(doc, "AccessKeyId", profile);
  c.secret_access_key = Secret(required_string(doc, "SecretAccessKey", profile));
  if (auto tok = optional_string(doc, "SessionToken", profile)) c.session_token = Secret(*tok);
  if (auto exp = optional_string(doc, "Expiration", profile)) {
    auto t = parse_iso8601(*exp);
    if (!t) {
      fail(ErrorKind::kInvalidInput,
           "credential_process for profile {} printed an Expiration that is not an ISO 8601 time "
           "({}); use e.g. 2026-01-01T00:00:00Z",
           profile, shown(doc["Expiration"]));
    }
    c.expiration = t;
  }
  if (auto account = optional_string(doc, "AccountId", profile)) c.account_id = *account;
  c.source = "credential_process (profile " + std::string(profile) + ")";
  return c;
}

ProcessProvider::ProcessProvider(std::string command, std::string profile,
                                 std::chrono::milliseconds timeout)
    : command_(std::move(command)), profile_(std::move(profile)), timeout_(timeout) {}

std::optional<Credentials> ProcessProvider::load() {
  ProcessOptions opts;
  opts.timeout = timeout_;
  opts.max_stdout = kMaxCredentialProcessOutput;
  spdlog::debug("credential_process: running the command of profile {}", profile_);
  ProcessResult r;
  try {
    r = run_process({"/bin/sh", "-c", command_}, opts);
  } catch (const Error& e) {
    fail(e.kind(), "credential_process for profile {}: {}", profile_, e.what());
  }
  if (r.timed_out) {
    fail(ErrorKind::kNetwork,
         "credential_process for profile {} did not finish within {} ms and was stopped; run the "
         "command by hand to see where it waits (it must not prompt for input)",
         profile_, timeout_.count());
  }
  if (r.exit_code != 0) {
    // Redacted before it is cut, so no piece of a token is left at the cut.
    std::string err = first_line(redact_token_like(r.err));
    std::string how = r.exit_code < 0 ? std::string("was killed by a signal")
                                      : "exited with code " + std::to_string(r.exit_code);
    fail(ErrorKind::kRemote, "credential_process for profile {} {}{}{}; run the command by hand",
         profile_, how, err.empty() ? "" : ": ", err);
  }
  if (r.out.size() >= kMaxCredentialProcessOutput && r.output_truncated) {
    fail(ErrorKind::kInvalidInput,
         "credential_process for profile {} printed more than {} bytes; it must print one JSON "
         "object",
         profile_, kMaxCredentialProcessOutput);
  }
  return parse_process_output(r.out, profile_);
}

}  // namespace ecrhelm::aws
