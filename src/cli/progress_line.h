// A progress line on stderr, drawn only when stderr is a terminal: redrawn in
// place (\r) at most every kRedrawInterval, always at the start and at the
// end, and ended with a newline when the download completes (or, if it
// stops early, when this object goes away). The text is render_progress().
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace ecrhelm::cli {

inline constexpr std::chrono::milliseconds kRedrawInterval{100};

class ProgressLine {
 public:
  // Draws nothing unless `enabled` (no --quiet) and fd 2 is a terminal.
  ProgressLine(std::string label, bool enabled);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  bool active() const { return active_; }
  void update(uint64_t done, uint64_t total);

 private:
  void draw(uint64_t done, uint64_t total, std::chrono::steady_clock::time_point now);
  std::string label_;
  bool active_ = false;
  bool drawn_ = false;     // something is on the line
  bool finished_ = false;  // the final line and its newline are out
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace ecrhelm::cli
