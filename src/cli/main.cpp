// ecrhelm: OCI Helm charts in private Amazon ECR for Argo CD, Helm and
// people, with no token rotated by hand. This file only parses and dispatches.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cstring>
#include <iostream>

#include "cli/help.h"
#include "cli/runtime.h"
#include "util/error.h"
#include "util/log.h"
#include "util/temp_files.h"

namespace {

#ifndef ECRHELM_VERSION
#define ECRHELM_VERSION "0.0.0"
#endif

const char* kExitCodes = R"(
Exit codes: 0 ok, 1 remote or internal error, 2 bad input or unsupported,
3 rejected credentials or permission, 4 not found, 5 network or throttled.
Each command's --help ends with its own examples; man ecrhelm-COMMAND.
)";

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ecrhelm;
  std::string self = argc > 0 ? argv[0] : "ecrhelm";
  cli::GlobalFlags flags;
  // A signal while a chart, folder or config is being written removes its
  // temporary file (the controller replaces SIGINT/SIGTERM with its own stop).
  install_temp_file_cleanup();

  // Called as docker-credential-ecrhelm: the Docker credential-helper protocol.
  if (ends_with(self, "docker-credential-ecrhelm")) {
    init_logging(std::getenv("ECRHELM_DEBUG") ? "debug" : "warn");
    if (argc != 2) {
      std::cerr << "usage: docker-credential-ecrhelm get|list|store|erase (server URL on stdin)\n";
      return 2;
    }
    return cli::run_credential_helper(argv[1], flags, true);
  }

  CLI::App app{"ecrhelm: OCI Helm charts in private Amazon ECR, no token rotated by hand",
               "ecrhelm"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "ecrhelm " ECRHELM_VERSION);
  app.add_flag("-v,--verbose", flags.verbose, "debug logs on stderr (secrets are never logged)");
  app.add_option("--log-format", flags.log_format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_option("--profile", flags.profile,
                 "use only this AWS profile (as `aws --profile`); AWS_PROFILE also works");
  std::vector<cli::Command> commands = {
      cli::add_whoami(app, flags), cli::add_token(app, flags),
      cli::add_login(app, flags),  cli::add_credential_helper(app, flags),
      cli::add_pull(app, flags),   cli::add_tags(app, flags),
      cli::add_show(app, flags),   cli::add_controller(app, flags),
      cli::add_repos(app, flags),  cli::add_policy(app, flags),
      cli::add_doctor(app, flags), cli::add_version(app),
      cli::add_completion(app),    cli::add_man(app, ECRHELM_VERSION),
  };
  // After the subcommands, which would otherwise inherit it as their footer.
  cli::set_examples(
      &app,
      {{"ecrhelm whoami", "the seed's `aws sts get-caller-identity`"},
       {"ecrhelm token --region us-west-2", "like `aws ecr get-login-password`"},
       {"ecrhelm login 123456789012.dkr.ecr.us-west-2.amazonaws.com", "Helm's registry config"},
       {"ecrhelm pull oci://123456789012.dkr.ecr.us-west-2.amazonaws.com/charts/demo "
        "--version '^1.2'",
        ""},
       {"echo 123456789012.dkr.ecr.us-west-2.amazonaws.com | docker-credential-ecrhelm get", ""}});
  app.footer(app.get_footer() + kExitCodes);

  // CLI11 says only "A subcommand is required" for `ecrhelm nosuchcmd`: name it.
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--log-format" || a == "--profile") {
      ++i;
      continue;
    }
    if (a.starts_with("-")) continue;
    bool known = false;
    for (auto& c : commands) known = known || c.app->check_name(a);
    if (!known) {
      std::cerr << "ecrhelm: unknown command '" << a.substr(0, 64)
                << "'; run `ecrhelm --help` for the list of commands\n";
      return 2;
    }
    break;
  }

  try {
    app.parse(argc, argv);
    init_logging(flags.verbose ? "debug" : "warn",
                 flags.log_format == "json" ? LogFormat::kJson : LogFormat::kText);
    for (auto& c : commands)
      if (c.app->parsed()) return c.run();
    return 2;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line naming the flag or argument (CLI11's exit() adds a second).
    std::string what = e.what();
    std::cerr << "ecrhelm: " << what.substr(0, what.find('\n')) << " (see --help)\n";
    return 2;
  } catch (const Error& e) {
    std::cerr << "ecrhelm: " << e.what() << "\n";
    return exit_code_for(e.kind());
  } catch (const std::exception& e) {
    std::cerr << "ecrhelm: internal error: " << e.what() << "\n";
    return 1;
  }
}
