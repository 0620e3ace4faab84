// What every subcommand shares: global flags, the HTTP client and the AWS
// contexts built from the real environment, and output helpers.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <string>

#include "aws/provider_context.h"
#include "http/client.h"

namespace ecrhelm::cli {

struct GlobalFlags {
  bool verbose = false;
  std::string log_format = "text";
  std::string profile;  // --profile: only that profile, as `aws --profile`
};

class Runtime {
 public:
  explicit Runtime(const GlobalFlags& flags);
  const GlobalFlags& flags() const { return flags_; }
  const Env& env() const { return *service_.env; }
  aws::ProviderContext& providers() { return providers_; }
  aws::ServiceContext& service() { return service_; }

 private:
  GlobalFlags flags_;
  http::CurlHttpClient http_;
  aws::ServiceContext service_;
  aws::ProviderContext providers_;
};

// Checks an -o value against the allowed ones (CLI11 validator).
CLI::Validator output_formats(std::initializer_list<std::string> allowed);

// A registered subcommand and what runs when it is chosen (after parsing and
// logging setup); run returns the exit code.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

// Subcommand registration (one file each).
Command add_whoami(CLI::App& app, GlobalFlags& g);
Command add_token(CLI::App& app, GlobalFlags& g);
Command add_login(CLI::App& app, GlobalFlags& g);
Command add_credential_helper(CLI::App& app, GlobalFlags& g);
Command add_pull(CLI::App& app, GlobalFlags& g);
Command add_tags(CLI::App& app, GlobalFlags& g);
Command add_show(CLI::App& app, GlobalFlags& g);
Command add_controller(CLI::App& app, GlobalFlags& g);
Command add_repos(CLI::App& app, GlobalFlags& g);
Command add_policy(CLI::App& app, GlobalFlags& g);
Command add_doctor(CLI::App& app, GlobalFlags& g);
// `ecrhelm version` (no flags of its own but -o).
Command add_version(CLI::App& app);
// The Docker credential-helper protocol on stdin/stdout; returns the exit code.
int run_credential_helper(const std::string& action, GlobalFlags& g, bool use_cache);

}  // namespace ecrhelm::cli
