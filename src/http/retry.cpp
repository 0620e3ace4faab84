#include "http/retry.h"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <limits>
#include <string>

#include "util/strings.h"

namespace ecrhelm::http {

std::chrono::milliseconds full_jitter_delay(const BackoffPolicy& p, int retry,
                                            std::mt19937_64& rng) {
  if (retry < 1) retry = 1;
  int64_t cap = p.max_delay.count();
  int64_t exp = p.base.count();
  // Stop doubling at the cap (and at 0): no overflow, no long loop for a large `retry`.
  constexpr int64_t kHalf = std::numeric_limits<int64_t>::max() / 2;
  for (int i = 1; i < retry && exp > 0 && exp < cap && exp <= kHalf; ++i) exp *= 2;
  int64_t upper = std::max<int64_t>(0, std::min(cap, exp));
  std::uniform_int_distribution<int64_t> dist(0, upper);
  return std::chrono::milliseconds(dist(rng));
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, TimePoint now) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  int64_t secs = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), secs);
  if (ec == std::errc() && ptr == value.data() + value.size()) {
    if (secs < 0) return std::nullopt;
    // A huge value must not overflow the millisecond count; callers cap it anyway.
    constexpr int64_t kMaxSecs = std::numeric_limits<int64_t>::max() / 1000;
    return std::chrono::milliseconds(std::min(secs, kMaxSecs) * 1000);
  }
  std::tm tm{};
  std::string v(value);
  const char* end = strptime(v.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  // Clamp into what system_clock holds (about 1677..2262 with nanosecond
  // ticks): from_time_t overflows for dates like year 9999.
  const int64_t max_secs =
      std::chrono::duration_cast<std::chrono::seconds>(TimePoint::max().time_since_epoch()).count();
  int64_t secs_at = std::clamp<int64_t>(int64_t(timegm(&tm)), 0, max_secs);
  TimePoint at = TimePoint(std::chrono::seconds(secs_at));
  auto d = std::chrono::duration_cast<std::chrono::milliseconds>(at - now);
  return d.count() < 0 ? std::chrono::milliseconds(0) : d;
}

std::chrono::milliseconds retry_delay(const BackoffPolicy& p, int retry, std::mt19937_64& rng,
                                      std::optional<std::chrono::milliseconds> retry_after) {
  if (retry_after) return std::min(*retry_after, p.max_retry_after);
  return full_jitter_delay(p, retry, rng);
}

}  // namespace ecrhelm::http
