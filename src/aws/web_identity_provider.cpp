#include "aws/web_identity_provider.h"

#include <spdlog/spdlog.h>

#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"

namespace ecrhelm::aws {

// A projected service-account token is ~1 KiB; anything this big is the wrong file.
inline constexpr size_t kMaxWebIdentityTokenBytes = 64 << 10;

WebIdentityProvider::WebIdentityProvider(ProviderContext ctx, WebIdentityConfig cfg)
    : ctx_(std::move(ctx)), cfg_(std::move(cfg)) {}

std::optional<WebIdentityConfig> WebIdentityProvider::from_env(const Env& env) {
  auto role = env.get_nonempty("AWS_ROLE_ARN");
  auto file = env.get_nonempty("AWS_WEB_IDENTITY_TOKEN_FILE");
  if (!role && !file) return std::nullopt;
  if (!role || !file) {
    fail(ErrorKind::kInvalidInput,
         "{} is set but {} is not; IRSA needs both (check the pod's service account "
         "annotation eks.amazonaws.com/role-arn and the projected token mount)",
         role ? "AWS_ROLE_ARN" : "AWS_WEB_IDENTITY_TOKEN_FILE",
         role ? "AWS_WEB_IDENTITY_TOKEN_FILE" : "AWS_ROLE_ARN");
  }
  WebIdentityConfig cfg;
  cfg.role_arn = *role;
  cfg.token_file = *file;
  cfg.session_name = env.get_nonempty("AWS_ROLE_SESSION_NAME").value_or("");
  cfg.origin = "environment";
  return cfg;
}

std::optional<Credentials> WebIdentityProvider::load() {
  // Re-read on every call: the kubelet rotates the projected token.
  std::string raw =
      read_file(cfg_.token_file, "web identity token file", kMaxWebIdentityTokenBytes);
  std::string token(trim(raw));
  if (token.empty()) {
    fail(ErrorKind::kInvalidInput,
         "web identity token file {} is empty; check the projected service-account token mount",
         cfg_.token_file);
  }
  WebIdentityParams p;
  p.role_arn = cfg_.role_arn;
  p.session_name = cfg_.session_name.empty()
                       ? "ecrhelm-" + std::to_string(to_unix_seconds(ctx_.service.clock->now()))
                       : cfg_.session_name;
  p.web_identity_token = Secret(std::move(token));
  spdlog::debug("web identity: AssumeRoleWithWebIdentity for {} (token file {})", p.role_arn,
                cfg_.token_file);
  auto sts = ctx_.sts(cfg_.region);
  Credentials c = sts->assume_role_with_web_identity(p);
  c.source = "web identity (" + cfg_.origin + ", role " + cfg_.role_arn + ")";
  return c;
}

}  // namespace ecrhelm::aws
