// Exponential backoff with full jitter and Retry-After parsing: the shape of
// the AWS SDKs' "standard" retry mode. What is retryable is the caller's call.
#pragma once

#include <chrono>
#include <optional>
#include <random>
#include <string_view>

#include "util/time.h"

namespace ecrhelm::http {

struct BackoffPolicy {
  int max_attempts = 3;  // total tries, including the first
  std::chrono::milliseconds base{1000};
  std::chrono::milliseconds max_delay{20000};
  std::chrono::milliseconds max_retry_after{60000};  // cap on a server's Retry-After
};

// Delay before retry number `retry` (1 = first retry): uniform in
// [0, min(max_delay, base * 2^(retry-1))].
std::chrono::milliseconds full_jitter_delay(const BackoffPolicy& p, int retry,
                                            std::mt19937_64& rng);

// Retry-After as delta-seconds or an HTTP date; nullopt when unparsable.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, TimePoint now);

// The sleep the caller should do: Retry-After (capped) when given, else jitter.
std::chrono::milliseconds retry_delay(const BackoffPolicy& p, int retry, std::mt19937_64& rng,
                                      std::optional<std::chrono::milliseconds> retry_after);

}  // namespace ecrhelm::http
