// The progress line is a pure function of bytes, total and elapsed time.
#include "util/progress.h"

#include <gtest/gtest.h>

namespace ecrhelm {
namespace {

TEST(HumanBytes, UnitsAndRounding) {
  EXPECT_EQ(human_bytes(0), "0 B");
  EXPECT_EQ(human_bytes(1023), "1023 B");
  EXPECT_EQ(human_bytes(1024), "1.0 KiB");
  EXPECT_EQ(human_bytes(1536), "1.5 KiB");
  EXPECT_EQ(human_bytes(1048575), "1.0 MiB");  // never "1024.0 KiB"
  EXPECT_EQ(human_bytes(25u << 20), "25.0 MiB");
  EXPECT_EQ(human_bytes(uint64_t(3) << 30), "3.0 GiB");
}

TEST(HumanDuration, MinutesHoursAndUnknown) {
  EXPECT_EQ(human_duration(0), "0:00");
  EXPECT_EQ(human_duration(7.4), "0:07");
  EXPECT_EQ(human_duration(754), "12:34");
  EXPECT_EQ(human_duration(3723), "1:02:03");
  EXPECT_EQ(human_duration(-1), "--:--");
  EXPECT_EQ(human_duration(1e9), "--:--");
}

TEST(RenderProgress, HalfWayShowsBytesPercentRateAndEta) {
  // 5 MiB of 10 MiB in 2 s: 2.5 MiB/s, 2 s left.
  std::string line = render_progress("charts/demo:1.0.0", 5u << 20, 10u << 20, 2.0, 100);
  EXPECT_NE(line.find("charts/demo:1.0.0 ["), std::string::npos) << line;
  EXPECT_NE(line.find(" 50%  5.0 MiB/10.0 MiB  2.5 MiB/s  ETA 0:02"), std::string::npos) << line;
  EXPECT_LE(line.size(), 99u) << line;
  // Half the cells filled: as many '=' before the '>' as spaces after it, plus one.
  auto open = line.find('['), close = line.find(']');
  std::string cells = line.substr(open + 1, close - open - 1);
  size_t eq = cells.find_first_not_of('=');
  EXPECT_EQ(cells[eq], '>') << cells;
  EXPECT_EQ(eq, cells.size() / 2) << cells;
}

TEST(RenderProgress, StartAndEnd) {
  std::string start = render_progress("", 0, 4096, 0, 120);
  EXPECT_EQ(start, "[>" + std::string(39, ' ') + "]    0%  0 B/4.0 KiB  --/s  ETA --:--");
  std::string end = render_progress("", 4096, 4096, 0.5, 120);
  EXPECT_EQ(end, "[" + std::string(40, '=') + "]  100%  4.0 KiB/4.0 KiB  8.0 KiB/s  ETA 0:00");
  // Never past 100%, even if more bytes were counted than announced.
  EXPECT_NE(render_progress("", 5000, 4096, 1, 80).find("100%  4.0 KiB/4.0 KiB"),
            std::string::npos);
}

TEST(RenderProgress, NarrowTerminalsShrinkTheBarThenDropTheLabel) {
  const std::string label = "123456789012.dkr.ecr.us-west-2.amazonaws.com/charts/demo:1.2.3";
  for (size_t width : {120u, 80u, 60u, 40u, 20u, 1u}) {
    std::string line = render_progress(label, 1u << 20, 4u << 20, 1, width);
    EXPECT_LE(line.size(), width - 1) << width << ": " << line;
  }
  std::string wide = render_progress(label, 1u << 20, 4u << 20, 1, 160);
  EXPECT_TRUE(wide.starts_with(label + " [")) << wide;
  std::string mid = render_progress(label, 1u << 20, 4u << 20, 1, 80);
  EXPECT_TRUE(mid.starts_with("[")) << mid;  // label dropped, bar kept
  EXPECT_NE(mid.find(" 25%  1.0 MiB/4.0 MiB"), std::string::npos) << mid;
}

TEST(RenderProgress, TheBarKeepsItsWidthFromStartToEnd) {
  const uint64_t total = 100u << 20;
  auto cells = [&](uint64_t done, double elapsed) {
    std::string line = render_progress("big:1.0.0", done, total, elapsed, 80);
    return line.find(']') - line.find('[');
  };
  size_t first = cells(0, 0);  // "--/s", "ETA --:--"
  EXPECT_GE(first, 10u);
  EXPECT_EQ(cells(4u << 20, 0.1), first);   // 40.0 MiB/s, ETA 0:02
  EXPECT_EQ(cells(42u << 20, 0.2), first);  // 210.0 MiB/s
  EXPECT_EQ(cells(total - 1, 0.4), first);  // 250.0 MiB/s
  EXPECT_EQ(cells(total, 0.41), first);
}

TEST(RenderProgress, UnknownTotalShowsBytesAndRateOnly) {
  std::string line = render_progress("x", 3u << 20, 0, 3, 80);
  EXPECT_EQ(line, "x  3.0 MiB  1.0 MiB/s");
}

}  // namespace
}  // namespace ecrhelm
