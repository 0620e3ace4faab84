// ISO 8601 / amz-date parsing and formatting, unix-second conversion and the
// human duration format.
#include "util/time.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace ecrhelm {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

TimePoint at(year_month_day ymd, hours h = 0h, minutes m = 0min, seconds s = 0s) {
  return TimePoint(sys_days{ymd}) + h + m + s;
}

const TimePoint kNoon = at(2026y / November / 28, 12h);

TEST(ParseIso8601, Utc) {
  EXPECT_EQ(parse_iso8601("2026-11-28T12:00:00Z"), kNoon);
  EXPECT_EQ(parse_iso8601("2026-11-28t12:00:00z"), kNoon);
  EXPECT_EQ(parse_iso8601("2026-11-28 12:00:00Z"), kNoon);
  EXPECT_EQ(parse_iso8601("1970-01-01T00:00:00Z"), TimePoint{});
  EXPECT_EQ(parse_iso8601("2015-08-30T12:36:59Z"), at(2015y / August / 30, 12h, 36min, 59s));
}

TEST(ParseIso8601, FractionalSeconds) {
  EXPECT_EQ(parse_iso8601("2026-11-28T12:00:00.5Z"), kNoon + 500ms);
  EXPECT_EQ(parse_iso8601("2026-11-28T12:00:00.123Z"), kNoon + 123ms);
  EXPECT_EQ(parse_iso8601("2026-11-28T12:00:00.000001Z"), kNoon + 1us);
  EXPECT_EQ(parse_iso8601("2026-11-28T12:00:00.123456789Z"), kNoon + 123456789ns);
  // Digits beyond nanoseconds are accepted and ignored.
  EXPECT_EQ(parse_iso8601("2026-11-28T12:00:00.1234567899999Z"), kNoon + 123456789ns);
  EXPECT_EQ(parse_iso8601("2026-11-28T12:00:00.250+01:00"), kNoon - 1h + 250ms);
}

TEST(ParseIso8601, Offsets) {
  EXPECT_EQ(parse_iso8601("2026-11-28T14:00:00+02:00"), kNoon);
  EXPECT_EQ(parse_iso8601("2026-11-28T14:00:00+0200"), kNoon);
  EXPECT_EQ(parse_iso8601("2026-11-28T06:30:00-05:30"), kNoon);
  EXPECT_EQ(parse_iso8601("2026-11-28T06:30:00-0530"), kNoon);
  EXPECT_EQ(parse_iso8601("2026-11-28T12:00:00+00:00"), kNoon);
  EXPECT_EQ(parse_iso8601("2026-11-28T12:00:00-00:00"), kNoon);
  // An offset can move the instant to another day.
  EXPECT_EQ(parse_iso8601("2026-11-29T01:00:00+13:00"), kNoon);
  EXPECT_EQ(parse_iso8601("2026-11-27T23:00:00-13:00"), kNoon);
}

TEST(ParseIso8601, LeapYears) {
  EXPECT_EQ(parse_iso8601("2024-02-29T00:00:00Z"), at(2024y / February / 29));
  EXPECT_EQ(parse_iso8601("2000-02-29T00:00:00Z"), at(2000y / February / 29));
  EXPECT_FALSE(parse_iso8601("2023-02-29T00:00:00Z"));
  EXPECT_FALSE(parse_iso8601("1900-02-29T00:00:00Z"));
}

TEST(ParseIso8601, RejectsInvalidDatesAndTimes) {
  for (const char* bad : {
           "2026-02-30T00:00:00Z",  // Feb 30
           "2026-04-31T00:00:00Z",  // April has 30 days
           "2026-13-01T00:00:00Z",  // month 13
           "2026-00-10T00:00:00Z",  // month 0
           "2026-11-00T00:00:00Z",  // day 0
           "2026-11-32T00:00:00Z",  // day 32
           "2026-11-28T24:00:00Z",  // hour 24
           "2026-11-28T12:60:00Z",  // minute 60
           "2026-11-28T12:00:61Z",  // second 61
       }) {
    EXPECT_FALSE(parse_iso8601(bad)) << bad;
  }
}

TEST(ParseIso8601, RejectsGarbageAndTrailingText) {
  for (const char* bad : {
           "",
           "garbage",
           "2026",
           "2026-11-28",                  // date only
           "2026-11-28T12:00",            // no seconds
           "2026-11-28T12:00:00",         // no zone
           "2026-11-28T12:00:00Zjunk",    // trailing text
           "2026-11-28T12:00:00Z ",       // trailing space
           " 2026-11-28T12:00:00Z",       // leading space
           "2026-11-28T12:00:00+02:00x",  // trailing text after offset
           "2026-11-28T12:00:00.Z",       // '.' without digits
           "2026-11-28T12:00:00+2:00",    // one-digit offset hour
           "2026-11-28T12:00:00+02:0",    // one-digit offset minute
           "2026-11-28T12:00:00+",        // sign only
           "2026-11-28T12:00:00+25:00",   // offset hour out of range
           "2026-11-28T12:00:00+02:60",   // offset minute out of range
           "2026-11-28X12:00:00Z",        // bad separator
           "2026/11/28T12:00:00Z",        // bad date separator
           "20261128T120000Z",            // amz-date is not ISO 8601 extended
           "2026-1-28T12:00:00Z",         // one-digit month
           "+026-11-28T12:00:00Z",        // sign in year
           "2026-11-28T1a:00:00Z",        // letter in hour
       }) {
    EXPECT_FALSE(parse_iso8601(bad)) << bad;
  }
}

TEST(FormatIso8601, RoundTrips) {
  for (const char* text : {"2026-11-28T12:00:00Z", "1970-01-01T00:00:00Z", "2000-02-29T23:59:59Z",
                           "2038-01-19T03:14:08Z", "2099-12-31T00:00:01Z"}) {
    auto t = parse_iso8601(text);
    ASSERT_TRUE(t) << text;
    EXPECT_EQ(format_iso8601(*t), text);
    EXPECT_EQ(parse_iso8601(format_iso8601(*t)), t);
  }
}

TEST(FormatIso8601, IsUtcWithSecondPrecision) {
  EXPECT_EQ(format_iso8601(kNoon + 999ms), "2026-11-28T12:00:00Z");
  EXPECT_EQ(format_iso8601(*parse_iso8601("2026-11-28T14:00:00+02:00")), "2026-11-28T12:00:00Z");
}

TEST(FormatAmzDate, Format) {
  EXPECT_EQ(format_amz_date(at(2015y / August / 30, 12h, 36min)), "20150830T123600Z");
  EXPECT_EQ(format_amz_date(kNoon), "20261128T120000Z");
  EXPECT_EQ(format_amz_date(TimePoint{}), "19700101T000000Z");
  EXPECT_EQ(format_amz_date(at(2026y / January / 2, 3h, 4min, 5s) + 600ms), "20260102T030405Z");
}

TEST(UnixSeconds, RoundTrip) {
  EXPECT_EQ(from_unix_seconds(0), TimePoint{});
  EXPECT_EQ(from_unix_seconds(1.5), TimePoint{} + 1500ms);
  EXPECT_EQ(to_unix_seconds(kNoon), 1795867200);
  EXPECT_EQ(from_unix_seconds(1795867200), kNoon);
  EXPECT_EQ(to_unix_seconds(from_unix_seconds(1700000000)), 1700000000);
  EXPECT_EQ(to_unix_seconds(kNoon + 999ms), 1795867200);
}

TEST(UnixSeconds, NanAndInfinityBecomeTheEpoch) {
  EXPECT_EQ(from_unix_seconds(std::nan("")), TimePoint{});
  EXPECT_EQ(from_unix_seconds(std::numeric_limits<double>::infinity()), TimePoint{});
  EXPECT_EQ(from_unix_seconds(-std::numeric_limits<double>::infinity()), TimePoint{});
}

TEST(UnixSeconds, NegativeClampsToTheEpoch) {
  EXPECT_EQ(from_unix_seconds(-1), TimePoint{});
  EXPECT_EQ(from_unix_seconds(-1e300), TimePoint{});
}

TEST(UnixSeconds, HugeValuesClampToAFarFutureWithoutOverflow) {
  // Run under UBSan: a float-to-integer overflow here is undefined behaviour.
  for (double huge : {253402300799.0, 1e12, 1e18, 1e300, std::numeric_limits<double>::max()}) {
    TimePoint t = from_unix_seconds(huge);
    EXPECT_GT(to_unix_seconds(t), int64_t{4102444800}) << huge;  // after 2100
    EXPECT_GE(t, from_unix_seconds(1e10)) << huge;
    EXPECT_LE(t, TimePoint::max());
  }
  // Monotonic: a later input is never an earlier time.
  EXPECT_LE(from_unix_seconds(9e9), from_unix_seconds(1e300));
  EXPECT_EQ(from_unix_seconds(1e12), from_unix_seconds(1e300));
}

TEST(FormatDuration, Shapes) {
  EXPECT_EQ(format_duration(0s), "0s");
  EXPECT_EQ(format_duration(1s), "1s");
  EXPECT_EQ(format_duration(59s), "59s");
  EXPECT_EQ(format_duration(60s), "1m00s");
  EXPECT_EQ(format_duration(61s), "1m01s");
  EXPECT_EQ(format_duration(3599s), "59m59s");
  EXPECT_EQ(format_duration(3600s), "1h00m");
  EXPECT_EQ(format_duration(11h + 59min + 30s), "11h59m");
  EXPECT_EQ(format_duration(12h), "12h00m");
  EXPECT_EQ(format_duration(100h + 5min), "100h05m");
}

TEST(FormatDuration, Negative) {
  EXPECT_EQ(format_duration(-1s), "-1s");
  EXPECT_EQ(format_duration(-90s), "-1m30s");
  EXPECT_EQ(format_duration(-2h), "-2h00m");
}

TEST(FormatDuration, ExtremesDoNotOverflow) {
  std::string min = format_duration(seconds(std::numeric_limits<int64_t>::min()));
  EXPECT_EQ(min, "-2562047788015215h30m");
  EXPECT_EQ(format_duration(seconds(std::numeric_limits<int64_t>::max())), "2562047788015215h30m");
}

TEST(Clocks, ManualClockMovesOnlyWhenTold) {
  ManualClock clock(kNoon);
  EXPECT_EQ(clock.now(), kNoon);
  EXPECT_EQ(clock.now(), kNoon);
  clock.advance(90s);
  EXPECT_EQ(clock.now(), kNoon + 90s);
  clock.set(TimePoint{});
  EXPECT_EQ(clock.now(), TimePoint{});
  const Clock& base = clock;
  EXPECT_EQ(base.now(), TimePoint{});
}

TEST(Clocks, SystemClockIsNearNow) {
  auto before = system_clock::now();
  auto t = SystemClock::instance().now();
  auto after = system_clock::now();
  EXPECT_LE(before, t);
  EXPECT_LE(t, after);
  EXPECT_EQ(&SystemClock::instance(), &SystemClock::instance());
}

}  // namespace
}  // namespace ecrhelm

namespace ecrhelm {
namespace {
// Found by the fuzzers: far years overflowed system_clock's nanoseconds.
TEST(ParseIso8601Range, RejectsYearsTheClockCannotHold) {
  EXPECT_FALSE(parse_iso8601("4053-01-01T00:00:00Z"));
  EXPECT_FALSE(parse_iso8601("1013-01-01T00:00:00Z"));
  EXPECT_TRUE(parse_iso8601("2199-12-31T23:59:59Z"));
}
}  // namespace
}  // namespace ecrhelm
