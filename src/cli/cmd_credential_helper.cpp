// The Docker credential-helper protocol (get/list/store/erase on stdin and
// stdout), as `ecrhelm credential-helper ACTION` and as
// docker-credential-ecrhelm, so Helm, Docker, skopeo and oras reach ECR with
// no stored password. Tokens come from the file cache while in their first
// half of life.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <iostream>
#include <iterator>

#include "aws/ecr_login.h"
#include "cli/help.h"
#include "cli/runtime.h"
#include "oci/registry_config.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"

namespace ecrhelm::cli {
namespace {

// Docker and Helm test stdout for this exact text to mean "no credentials".
constexpr const char* kNotFound = "credentials not found in native keychain";
constexpr size_t kMaxStdin = 64 << 10;

std::string read_stdin() {
  std::string in;
  char buf[4096];
  while (std::cin.read(buf, sizeof buf) || std::cin.gcount() > 0) {
    in.append(buf, size_t(std::cin.gcount()));
    if (in.size() > kMaxStdin)
      throw ecrhelm::Error(ErrorKind::kInvalidInput, "credential helper input is too large");
  }
  return in;
}

int helper_get(Runtime& rt, bool use_cache) {
  std::string server(trim(read_stdin()));
  auto target = aws::ecr_target_for_host(server, "", rt.env());
  if (!target) {
    spdlog::debug("credential helper: {} is not an ECR host", server);
    std::cout << kNotFound << "\n";
    return 1;
  }
  std::unique_ptr<aws::TokenFileCache> cache;
  if (use_cache && !rt.env().get_nonempty("ECRHELM_NO_CACHE"))
    cache = std::make_unique<aws::TokenFileCache>(aws::TokenFileCache::default_path(rt.env()));
  aws::EcrTokenSource source(rt.providers(), {rt.flags().profile}, std::move(cache));
  aws::AuthorizationToken tok = source.token(*target);
  nlohmann::json j = {
      {"ServerURL", server}, {"Username", tok.username}, {"Secret", tok.password.reveal()}};
  std::cout << j.dump() << "\n";
  return 0;
}

// The running binary, for --install-helper (an init container has no shell to cp with).
constexpr size_t kMaxSelfBytes = size_t(512) << 20;

// `credential-helper configure --dir D HOST...`: D/config.json names ecrhelm
// in credHelpers for each host, so anything reading a Docker config (oras-go's
// Docker store in Argo CD's repo server, Helm's fallback, skopeo) calls
// docker-credential-ecrhelm. Every host is checked before anything is written.
int configure(Runtime& rt, const std::string& dir, const std::vector<std::string>& hosts,
              const std::string& install_dir) {
  if (dir.empty()) {
    fail(ErrorKind::kInvalidInput,
         "credential-helper configure needs --dir DIR (the folder DOCKER_CONFIG will name)");
  }
  if (hosts.empty()) {
    fail(ErrorKind::kInvalidInput,
         "credential-helper configure needs at least one registry host, e.g. "
         "123456789012.dkr.ecr.us-west-2.amazonaws.com");
  }
  std::vector<std::string> bare;
  for (const auto& h : hosts) {
    if (h.empty() || h.find("://") != std::string::npos || h.find('/') != std::string::npos) {
      fail(ErrorKind::kInvalidInput,
           "registry host '{}' is not a bare host; pass only the host, e.g. "
           "123456789012.dkr.ecr.us-west-2.amazonaws.com (no oci:// and no path)",
           h);
    }
    auto target = aws::ecr_target_for_host(h, "", rt.env());
    if (!target) {
      fail(ErrorKind::kInvalidInput,
           "registry host '{}' is not an Amazon ECR host (ACCOUNT.dkr.ecr.REGION.amazonaws.com "
           "or public.ecr.aws); list other names of ECR in ECRHELM_ECR_REGISTRIES",
           h);
    }
    bare.push_back(target->registry_host);
  }
  if (!install_dir.empty()) {
    std::string helper = install_dir + "/docker-credential-ecrhelm";
    write_file_atomic(helper, read_file("/proc/self/exe", "the ecrhelm binary", kMaxSelfBytes),
                      0755, 0755);
    std::cerr << fmt::format("ecrhelm: installed {}\n", helper);
  }
  make_dirs(dir);
  std::string path = dir + "/config.json";
  oci::store_cred_helpers(path, bare, "ecrhelm");
  std::cerr << fmt::format(
      "ecrhelm: wrote {}: credHelpers {} = ecrhelm (set DOCKER_CONFIG={} and put "
      "docker-credential-ecrhelm on PATH)\n",
      path, fmt::join(bare, ", "), dir);
  return 0;
}

}  // namespace

int run_credential_helper(const std::string& action, GlobalFlags& g, bool use_cache) {
  try {
    Runtime rt(g);
    if (action == "get") return helper_get(rt, use_cache);
    if (action == "list") {
      // Registries are derived from AWS credentials, not stored: nothing to list.
      std::cout << "{}\n";
      return 0;
    }
    if (action == "store" || action == "erase") {
      read_stdin();
      // ECR passwords are minted from AWS credentials; there is nothing to store.
      // Succeeding keeps `docker login`/`docker logout` working with credHelpers.
      spdlog::debug("credential helper: {} ignored (ECR tokens are derived, not stored)", action);
      return 0;
    }
    std::cerr << fmt::format(
        "ecrhelm: unknown credential-helper action '{}'; use get, list, store or erase\n", action);
    return 2;
  } catch (const ecrhelm::Error& e) {
    // The protocol's error channel is stdout; keep it one line.
    std::cout << "ecrhelm: " << e.what() << "\n";
    return exit_code_for(e.kind());
  }
}

Command add_credential_helper(CLI::App& app, GlobalFlags& g) {
  struct Opts {
    std::string action;
    bool no_cache = false;
    std::string dir;
    std::string install_dir;
    std::vector<std::string> hosts;
  };
  auto opts = std::make_shared<Opts>();
  auto* sub = app.add_subcommand(
      "credential-helper", "Docker credential-helper protocol (also as docker-credential-ecrhelm)");
  sub->add_option("action", opts->action,
                  "get, list, store, erase (the protocol), or configure (write a Docker config)")
      ->required()
      ->check(CLI::IsMember({"get", "list", "store", "erase", "configure"}));
  sub->add_option("hosts", opts->hosts, "configure: the ECR registry hosts");
  sub->add_option("--dir", opts->dir,
                  "configure: write DIR/config.json (DOCKER_CONFIG's folder) naming ecrhelm in "
                  "credHelpers for each host");
  sub->add_option("--install-helper", opts->install_dir,
                  "configure: also copy this binary to DIR/docker-credential-ecrhelm (mode 0755)");
  sub->add_flag("--no-cache", opts->no_cache, "always ask ECR (no token file cache)");
  set_examples(
      sub,
      {{"echo 123456789012.dkr.ecr.us-west-2.amazonaws.com | ecrhelm credential-helper get", ""},
       {"ecrhelm credential-helper list", ""},
       {"ecrhelm credential-helper configure --dir /helper/docker "
        "123456789012.dkr.ecr.us-west-2.amazonaws.com",
        "DOCKER_CONFIG for Argo CD's repo server (deploy/argocd/)"},
       {"echo 123456789012.dkr.ecr.us-west-2.amazonaws.com | docker-credential-ecrhelm get",
        "the same, through the link"}});
  return {sub, [&g, opts]() {
            if (opts->action == "configure") {
              Runtime rt(g);
              return configure(rt, opts->dir, opts->hosts, opts->install_dir);
            }
            if (!opts->hosts.empty() || !opts->dir.empty() || !opts->install_dir.empty()) {
              throw ecrhelm::Error(
                  ErrorKind::kInvalidInput,
                  "credential-helper " + opts->action +
                      " takes no hosts, --dir or --install-helper (the server URL comes on stdin)");
            }
            return run_credential_helper(opts->action, g, !opts->no_cache);
          }};
}

}  // namespace ecrhelm::cli
