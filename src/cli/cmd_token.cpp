// `ecrhelm token`: an ECR password, like `aws ecr get-login-password`; JSON
// gives ESO's ECRAuthorizationToken generator keys.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <iostream>

#include "aws/ecr_login.h"
#include "cli/help.h"
#include "cli/runtime.h"

namespace ecrhelm::cli {

Command add_token(CLI::App& app, GlobalFlags& g) {
  struct Opts {
    std::string output = "text";
    std::string region;
    std::string registry;
    bool is_public = false;
  };
  auto opts = std::make_shared<Opts>();
  auto* sub =
      app.add_subcommand("token", "print an ECR password (like aws ecr get-login-password)");
  sub->add_option("--region", opts->region, "ECR region (default: AWS_REGION or the profile's)");
  sub->add_option(
      "--registry", opts->registry,
      "registry host ACCOUNT.dkr.ecr.REGION.amazonaws.com (region and account from it)");
  sub->add_flag("--public", opts->is_public, "ECR Public (public.ecr.aws, us-east-1)");
  sub->add_option("-o,--output", opts->output, "text (password only) or json")
      ->check(output_formats({"text", "json"}));
  set_examples(sub,
               {{"ecrhelm token --region us-west-2", "like `aws ecr get-login-password`"},
                {"ecrhelm token --registry 123456789012.dkr.ecr.us-west-2.amazonaws.com -o json",
                 "ESO's generator keys"},
                {"ecrhelm token --public", "ECR Public"}});
  return {sub, [&g, opts]() {
            Runtime rt(g);
            auto target =
                aws::resolve_ecr_target(opts->registry, opts->region, opts->is_public, rt.env());
            aws::EcrTokenSource source(rt.providers(), {g.profile}, nullptr);
            aws::AuthorizationToken tok = source.token(target);
            if (opts->output == "json") {
              nlohmann::json j = {{"username", tok.username},
                                  {"password", tok.password.reveal()},
                                  {"proxy_endpoint", tok.proxy_endpoint},
                                  {"expires_at", std::to_string(to_unix_seconds(tok.expires_at))}};
              std::cout << j.dump(2) << "\n";
            } else {
              std::cout << tok.password.reveal() << "\n";
            }
            return 0;
          }};
}

}  // namespace ecrhelm::cli
