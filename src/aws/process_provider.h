// credential_process: runs the configured command and reads its JSON
// (Version 1: AccessKeyId, SecretAccessKey, SessionToken, Expiration).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "aws/credentials.h"

namespace ecrhelm::aws {

// How long credential_process may run, and how much it may print.
inline constexpr std::chrono::milliseconds kCredentialProcessTimeout{60000};
inline constexpr size_t kMaxCredentialProcessOutput = 1 << 20;

class ProcessProvider final : public CredentialsProvider {
 public:
  // profile: for messages ("profile dev"). The command runs under /bin/sh -c.
  ProcessProvider(std::string command, std::string profile,
                  std::chrono::milliseconds timeout = kCredentialProcessTimeout);
  std::optional<Credentials> load() override;
  std::string name() const override { return "credential-process"; }

 private:
  std::string command_;
  std::string profile_;
  std::chrono::milliseconds timeout_;
};

// Parses the process output; errors name the profile and the bad field. Fuzzed.
Credentials parse_process_output(std::string_view json, std::string_view profile);

}  // namespace ecrhelm::aws
