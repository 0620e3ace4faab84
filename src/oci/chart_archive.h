// Helm chart archives (.tgz) read and extracted safely: no absolute paths, no
// "..", no links out of the tree, no devices, and size limits that stop a
// gzip bomb, enforced while decompressing. Nothing partial is ever left.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ecrhelm::oci {

inline constexpr size_t kMaxChartUncompressedBytes = 100u << 20;  // 100 MiB, whole chart
inline constexpr size_t kMaxChartFileBytes = 5u << 20;            // 5 MiB, one file
inline constexpr size_t kMaxChartEntries = 10000;

struct ChartMetadata {
  std::string api_version;
  std::string name;
  std::string version;
  std::string app_version;
  std::string description;
};

// Parses Chart.yaml text; throws Error(kInvalidInput) without name/version.
ChartMetadata parse_chart_yaml(std::string_view yaml);

// The content of `name` (e.g. "Chart.yaml", "values.yaml") in the chart's top
// folder, reading the archive from memory under the same rules and limits as
// extraction; nullopt when absent. Throws Error(kInvalidInput) for a hostile
// or broken archive.
std::optional<std::string> read_chart_file(std::string_view tgz, std::string_view name);

// Checks every entry of the archive against the rules and limits without
// writing anything (what `pull` does before it accepts a chart).
void check_chart_archive(std::string_view tgz);

// Extracts the archive at tgz_path into parent/<top folder>; the folder must
// not exist yet. Extraction goes to a temporary folder that is renamed into
// place only when everything passed. Returns the created folder. Errors name
// the archive as `what` (e.g. the reference it was pulled from), else its path.
std::string extract_chart(const std::string& tgz_path, const std::string& parent,
                          const std::string& what = "");

}  // namespace ecrhelm::oci
