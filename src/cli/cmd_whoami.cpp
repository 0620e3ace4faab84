// `ecrhelm whoami`: the seed's verification step (`aws sts get-caller-identity`)
// plus where the credentials came from and when they expire.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <iostream>

#include "aws/chain.h"
#include "aws/ecr_login.h"
#include "aws/sts.h"
#include "cli/help.h"
#include "cli/runtime.h"

namespace ecrhelm::cli {

Command add_whoami(CLI::App& app, GlobalFlags& g) {
  struct Opts {
    std::string output = "text";
    std::string region;
  };
  auto opts = std::make_shared<Opts>();
  auto* sub =
      app.add_subcommand("whoami", "show the AWS identity in use and its credential source");
  sub->add_option("-o,--output", opts->output, "text or json")
      ->check(output_formats({"text", "json"}));
  sub->add_option("--region", opts->region, "STS region (default: AWS_REGION, profile, or global)");
  set_examples(sub, {{"ecrhelm whoami", "the seed's `aws sts get-caller-identity`"},
                     {"ecrhelm whoami -o json --region us-west-2", ""},
                     {"ecrhelm --profile ci whoami", "only the ci profile"}});
  return {
      sub, [&g, opts]() {
        Runtime rt(g);
        auto chain = aws::make_default_chain(rt.providers(), {g.profile});
        aws::Credentials creds = aws::require(*chain);
        std::string region = aws::resolve_region(opts->region, rt.env()).value_or("");
        aws::CallerIdentity id = aws::StsClient(rt.service(), region).get_caller_identity(creds);
        std::string expires = creds.expiration ? format_iso8601(*creds.expiration) : "";
        if (opts->output == "json") {
          nlohmann::json j = {{"UserId", id.user_id},
                              {"Account", id.account},
                              {"Arn", id.arn},
                              {"Source", creds.source}};
          j["Expiration"] = expires.empty() ? nlohmann::json(nullptr) : nlohmann::json(expires);
          std::cout << j.dump(2) << "\n";
          return 0;
        }
        std::cout << fmt::format("Account:    {}\nArn:        {}\nUserId:     {}\nSource:     {}\n",
                                 id.account, id.arn, id.user_id, creds.source);
        if (creds.expiration) {
          auto left = std::chrono::duration_cast<std::chrono::seconds>(*creds.expiration -
                                                                       rt.service().clock->now());
          std::cout << fmt::format("Expiration: {} (in {})\n", expires, format_duration(left));
        } else {
          std::cout << "Expiration: none (long-term keys)\n";
        }
        return 0;
      }};
}

}  // namespace ecrhelm::cli
