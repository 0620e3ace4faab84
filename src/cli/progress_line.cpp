#include "cli/progress_line.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>

#include "util/progress.h"

namespace ecrhelm::cli {
namespace {

constexpr size_t kDefaultColumns = 80;

size_t terminal_columns() {
  struct winsize ws {};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return kDefaultColumns;
}

}  // namespace

ProgressLine::ProgressLine(std::string label, bool enabled)
    : label_(std::move(label)), active_(enabled && ::isatty(STDERR_FILENO) == 1) {}

ProgressLine::~ProgressLine() {
  if (drawn_ && !finished_) std::fputs("\n", stderr);  // what follows starts on its own line
}

void ProgressLine::update(uint64_t done, uint64_t total) {
  if (!active_ || finished_) return;
  auto now = std::chrono::steady_clock::now();
  if (!drawn_) start_ = now;
  bool last = total > 0 && done >= total;
  if (drawn_ && !last && now - last_draw_ < kRedrawInterval) return;
  draw(done, total, now);
  if (last) {
    std::fputs("\n", stderr);
    finished_ = true;
  }
}

void ProgressLine::draw(uint64_t done, uint64_t total, std::chrono::steady_clock::time_point now) {
  double elapsed = std::chrono::duration<double>(now - start_).count();
  std::string line = render_progress(label_, done, total, elapsed, terminal_columns());
  // \r to the line's start, the text, then erase what a longer line left (EL).
  std::fprintf(stderr, "\r%s\x1b[K", line.c_str());
  std::fflush(stderr);
  drawn_ = true;
  last_draw_ = now;
}

}  // namespace ecrhelm::cli
