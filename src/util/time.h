// Wall-clock time: an injectable Clock (tests move time by hand) and the
// timestamp formats AWS and Kubernetes speak.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace ecrhelm {

using TimePoint = std::chrono::system_clock::time_point;
using Seconds = std::chrono::seconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::system_clock::now(); }
  static const SystemClock& instance();
};

// A clock that only moves when told to (tests, fixtures).
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start) : now_(start) {}
  TimePoint now() const override { return now_; }
  void advance(std::chrono::system_clock::duration d) { now_ += d; }
  void set(TimePoint t) { now_ = t; }

 private:
  TimePoint now_;
};

// "2026-11-28T12:00:00Z"; also fractional seconds and +hh:mm / -hh:mm offsets.
std::optional<TimePoint> parse_iso8601(std::string_view text);
std::string format_iso8601(TimePoint t);   // always UTC, seconds precision, 'Z'
std::string format_amz_date(TimePoint t);  // "20261128T120000Z"
TimePoint from_unix_seconds(double seconds);
int64_t to_unix_seconds(TimePoint t);
// Human "11h59m" style for durations shown to people.
std::string format_duration(std::chrono::seconds d);

}  // namespace ecrhelm
