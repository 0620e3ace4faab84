#include "util/time.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <ctime>

namespace ecrhelm {

const SystemClock& SystemClock::instance() {
  static const SystemClock clock;
  return clock;
}

namespace {

bool read_int(std::string_view s, size_t& pos, size_t digits, int& out) {
  if (pos + digits > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < digits; ++i) {
    char c = s[pos + i];
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    v = v * 10 + (c - '0');
  }
  pos += digits;
  out = v;
  return true;
}

bool expect(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

constexpr int kMinYear = 1700;
constexpr int kMaxYear = 2200;

std::optional<TimePoint> parse_iso8601(std::string_view s) {
  size_t pos = 0;
  int year = 0, mon = 0, day = 0, hour = 0, min = 0, sec = 0;
  if (!read_int(s, pos, 4, year) || !expect(s, pos, '-') || !read_int(s, pos, 2, mon) ||
      !expect(s, pos, '-') || !read_int(s, pos, 2, day))
    return std::nullopt;
  if (pos >= s.size() || (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ')) return std::nullopt;
  ++pos;
  if (!read_int(s, pos, 2, hour) || !expect(s, pos, ':') || !read_int(s, pos, 2, min) ||
      !expect(s, pos, ':') || !read_int(s, pos, 2, sec))
    return std::nullopt;
  // system_clock counts nanoseconds in 64 bits: years outside ~1678..2262 overflow.
  if (year < kMinYear || year > kMaxYear) return std::nullopt;
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
    return std::nullopt;
  std::chrono::nanoseconds frac{0};
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int64_t scale = 100000000;
    size_t start = pos;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      if (scale > 0) frac += std::chrono::nanoseconds((s[pos] - '0') * scale);
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  int offset_minutes = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    int oh, om;
    if (!read_int(s, pos, 2, oh)) return std::nullopt;
    if (pos < s.size() && s[pos] == ':') ++pos;
    if (!read_int(s, pos, 2, om)) return std::nullopt;
    if (oh > 23 || om > 59) return std::nullopt;
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  using namespace std::chrono;
  const year_month_day ymd{std::chrono::year{year}, month{unsigned(mon)},
                           std::chrono::day{unsigned(day)}};
  if (!ymd.ok()) return std::nullopt;
  auto tp = sys_days{ymd} + hours{hour} + minutes{min} + seconds{sec} - minutes{offset_minutes};
  return time_point_cast<system_clock::duration>(tp + frac);
}

std::string format_iso8601(TimePoint t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string format_amz_date(TimePoint t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

TimePoint from_unix_seconds(double seconds) {
  if (!std::isfinite(seconds)) seconds = 0;
  // Clamp to [epoch, the last whole second system_clock can hold]: with
  // nanosecond ticks that is year 2262, far below 9999-12-31, and converting a
  // larger double to the integer tick count is undefined behaviour.
  static const double kMax =
      double(std::chrono::duration_cast<Seconds>(TimePoint::max().time_since_epoch()).count() - 1);
  if (seconds < 0) seconds = 0;
  if (seconds > kMax) seconds = kMax;
  auto d = std::chrono::duration<double>(seconds);
  return TimePoint(std::chrono::duration_cast<std::chrono::system_clock::duration>(d));
}

int64_t to_unix_seconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::string format_duration(std::chrono::seconds d) {
  bool negative = d.count() < 0;
  // Unsigned negation: -INT64_MIN would overflow.
  uint64_t s = negative ? 0 - uint64_t(d.count()) : uint64_t(d.count());
  uint64_t h = s / 3600, m = (s % 3600) / 60, sec = s % 60;
  std::string out = negative ? "-" : "";
  if (h > 0) return out + fmt::format("{}h{:02}m", h, m);
  if (m > 0) return out + fmt::format("{}m{:02}s", m, sec);
  return out + fmt::format("{}s", sec);
}

}  // namespace ecrhelm
