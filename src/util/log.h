// Logging setup: spdlog to stderr, text or JSON lines. Call sites use
// spdlog::debug/info/... directly; never pass a Secret's revealed value.
#pragma once

#include <string>

namespace ecrhelm {

enum class LogFormat { kText, kJson };
// level: "debug", "info", "warn", "error", "off".
void init_logging(const std::string& level, LogFormat format = LogFormat::kText);

}  // namespace ecrhelm
