#include "util/progress.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace ecrhelm {
namespace {

constexpr size_t kMinBarCells = 10;  // inside the brackets
constexpr size_t kMaxBarCells = 40;

}  // namespace

std::string human_bytes(uint64_t n) {
  if (n < 1024) return fmt::format("{} B", n);
  static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = double(n) / 1024;
  size_t unit = 0;
  // Switch up before the rounded value would read 1024.0.
  while (v >= 1023.95 && unit + 1 < std::size(kUnits)) {
    v /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", v, kUnits[unit]);
}

std::string human_duration(double seconds) {
  if (!(seconds >= 0) || seconds >= 100.0 * 3600) return "--:--";
  auto s = uint64_t(std::llround(seconds));
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

std::string render_progress(const std::string& label, uint64_t done, uint64_t total,
                            double elapsed_seconds, size_t width) {
  const bool known = total > 0;
  const uint64_t shown = known ? std::min(done, total) : done;
  const bool timed = elapsed_seconds > 0 && std::isfinite(elapsed_seconds);
  const double rate = timed ? double(shown) / elapsed_seconds : 0;
  std::string stats;
  if (known) {
    // Floor, so 100% means every byte arrived.
    stats +=
        fmt::format("{:>3}%  {}/{}", shown * 100 / total, human_bytes(shown), human_bytes(total));
  } else {
    stats += human_bytes(shown);
  }
  stats += "  " + (timed ? human_bytes(uint64_t(rate)) + "/s" : std::string("--/s"));
  if (known) {
    double eta = shown == total ? 0 : rate > 0 ? double(total - shown) / rate : -1;
    stats += "  ETA " + human_duration(eta);
  }

  const size_t max_cols = width > 0 ? width - 1 : 0;
  auto bar = [&](size_t cells) {
    size_t filled = size_t(double(cells) * double(shown) / double(total));
    std::string b = "[" + std::string(filled, '=');
    if (filled < cells) b += ">" + std::string(cells - filled - 1, ' ');
    return b + "]";
  };
  // label + " " + bar + "  " + stats, fitting max_cols. The bar's width is
  // sized for the widest stats of this download (every byte, a 12-column
  // rate, a 5-column ETA) so it keeps its width from one redraw to the next;
  // only an unusually wide line (an ETA in hours) takes cells from it.
  if (known) {
    const size_t widest =
        fmt::format("100%  {}/{}", human_bytes(total), human_bytes(total)).size() +
        std::string("  1023.9 MiB/s  ETA 99:59").size();
    for (const std::string& l : {label, std::string()}) {
      size_t prefix = l.empty() ? 0 : l.size() + 1;
      size_t fixed = prefix + 2 + 2 + std::max(widest, stats.size());  // brackets, "  "
      if (fixed + kMinBarCells <= max_cols) {
        size_t cells = std::min(kMaxBarCells, max_cols - fixed);
        return (l.empty() ? "" : l + " ") + bar(cells) + "  " + stats;
      }
    }
  }
  if (!label.empty() && label.size() + 2 + stats.size() <= max_cols) return label + "  " + stats;
  return stats.size() <= max_cols ? stats : stats.substr(0, max_cols);
}

}  // namespace ecrhelm
