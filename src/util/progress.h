// A download's progress as one line of text (bytes done/total, percent, rate,
// ETA): pure functions of the bytes, the total and the time elapsed, so they
// are tested without a terminal. Where and how often the line is drawn is the
// caller's business (cli/progress_line.h draws it on a terminal's stderr).
#pragma once

#include <cstdint>
#include <string>

namespace ecrhelm {

// 1024-based, one decimal above bytes: "812 B", "1.5 KiB", "23.4 MiB", "1.2 GiB".
std::string human_bytes(uint64_t n);
// "0:07", "12:34", "1:02:03"; "--:--" when unknown (negative) or beyond 99 hours.
std::string human_duration(double seconds);

// "LABEL [=====>     ]  45%  4.5 MiB/10.0 MiB  2.3 MiB/s  ETA 0:03", at most
// width - 1 columns (the last column is left free so a terminal never wraps):
// the bar shrinks first, then the label goes, then the bar. total 0 (unknown
// size): no bar, percent or ETA. Rate and ETA are "--" until time has passed.
std::string render_progress(const std::string& label, uint64_t done, uint64_t total,
                            double elapsed_seconds, size_t width = 80);

}  // namespace ecrhelm
