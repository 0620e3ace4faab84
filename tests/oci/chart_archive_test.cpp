// Hostile chart archives: every rule of safe extraction and every limit, each
// with its exact error, and nothing written outside the destination.
#include "oci/chart_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "support/registry.h"
#include "support/testbed.h"
#include "util/error.h"
#include "util/fs.h"

namespace ecrhelm::test {
namespace {

using namespace ecrhelm::oci;

const std::string kChartYaml = "apiVersion: v2\nname: demo\nversion: 1.0.0\n";

std::string expect_refused(const std::string& tgz, const std::string& message_part) {
  TempDir dir;
  std::string file = dir.write("c.tgz", tgz);
  std::string dest = dir.file("out");
  try {
    extract_chart(file, dest);
    ADD_FAILURE() << "extracted a hostile archive; expected: " << message_part;
    return "";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_NE(std::string(e.what()).find(message_part), std::string::npos) << e.what();
    // Nothing left behind: dest holds no chart folder and no temp folder.
    size_t n = 0;
    if (file_exists(dest))
      for ([[maybe_unused]] auto& p : std::filesystem::directory_iterator(dest)) ++n;
    EXPECT_EQ(n, 0u) << "partial extraction left in " << dest;
    // Nothing escaped next to the destination either.
    EXPECT_FALSE(file_exists(dir.file("evil")));
    EXPECT_FALSE(file_exists(dir.path() + "/../evil-" + std::to_string(::getpid())));
    return e.what();
  }
}

TEST(ChartArchive, ExtractsAGoodChart) {
  TempDir dir;
  std::string file = dir.write(
      "c.tgz", make_chart_tgz("demo", "1.0.0", {{"templates/cm.yaml", "kind: ConfigMap\n"}}));
  std::string out = extract_chart(file, dir.file("out"));
  EXPECT_EQ(out, dir.file("out/demo"));
  EXPECT_TRUE(file_exists(dir.file("out/demo/Chart.yaml")));
  EXPECT_EQ(read_file(dir.file("out/demo/templates/cm.yaml"), "t"), "kind: ConfigMap\n");
  // The destination already holds the chart: refused, untouched (helm does the same).
  EXPECT_THROW(extract_chart(file, dir.file("out")), Error);
  EXPECT_TRUE(file_exists(dir.file("out/demo/Chart.yaml")));
}

TEST(ChartArchive, RefusesDotDot) {
  expect_refused(make_tgz({{"demo/Chart.yaml", kChartYaml}, {"demo/../../evil", "x"}}),
                 "contains '..'");
}

TEST(ChartArchive, RefusesAbsolutePaths) {
  expect_refused(make_tgz({{"demo/Chart.yaml", kChartYaml}, {"/tmp/evil", "x"}}),
                 "is an absolute path");
}

TEST(ChartArchive, RefusesSymlinksOutOfTheTree) {
  expect_refused(make_tgz({{"demo/Chart.yaml", kChartYaml}, {"demo/l", "", AE_IFLNK, "../../etc"}}),
                 "points to '../../etc' outside the chart");
  expect_refused(
      make_tgz({{"demo/Chart.yaml", kChartYaml}, {"demo/l", "", AE_IFLNK, "/etc/passwd"}}),
      "outside the chart");
}

TEST(ChartArchive, RefusesWritingThroughASymlink) {
  expect_refused(make_tgz({{"demo/Chart.yaml", kChartYaml},
                           {"demo/sub", "", AE_IFLNK, "."},
                           {"demo/sub/x", "data"}}),
                 "goes through a symlink");
}

TEST(ChartArchive, AllowsSymlinksInsideTheTree) {
  TempDir dir;
  std::string file = dir.write("c.tgz", make_tgz({{"demo/Chart.yaml", kChartYaml},
                                                  {"demo/link", "", AE_IFLNK, "Chart.yaml"}}));
  extract_chart(file, dir.file("out"));
  EXPECT_EQ(std::filesystem::read_symlink(dir.file("out/demo/link")), "Chart.yaml");
}

TEST(ChartArchive, RefusesHardLinksOut) {
  expect_refused(make_tgz({{"demo/Chart.yaml", kChartYaml},
                           {"demo/h", "", AE_IFREG, "../../etc/passwd", true}}),
                 "contains '..'");
  expect_refused(
      make_tgz({{"demo/Chart.yaml", kChartYaml}, {"demo/h", "", AE_IFREG, "/etc/passwd", true}}),
      "is an absolute path");
}

TEST(ChartArchive, RefusesDevices) {
  expect_refused(make_tgz({{"demo/Chart.yaml", kChartYaml}, {"demo/dev", "", AE_IFCHR}}),
                 "device, fifo or socket");
}

TEST(ChartArchive, RefusesAFileOverFiveMiB) {
  expect_refused(make_tgz({{"demo/Chart.yaml", kChartYaml},
                           {"demo/big", std::string(oci::kMaxChartFileBytes + 1, 'a')}}),
                 "larger than 5242880 bytes");
}

TEST(ChartArchive, RefusesAGzipBomb) {
  // 21 files of 5 MiB of zeros: ~100 KiB compressed, over 100 MiB expanded.
  std::vector<TarEntry> entries = {{"demo/Chart.yaml", kChartYaml}};
  for (int i = 0; i < 21; ++i)
    entries.push_back({"demo/z" + std::to_string(i), std::string(5u << 20, '\0')});
  std::string tgz = make_tgz(entries);
  EXPECT_LT(tgz.size(), 1u << 20);
  expect_refused(tgz, "a gzip bomb");
}

TEST(ChartArchive, RefusesTwoTopFolders) {
  expect_refused(make_tgz({{"demo/Chart.yaml", kChartYaml}, {"other/x", "x"}}),
                 "more than one top folder");
}

TEST(ChartArchive, RefusesGarbage) { expect_refused("this is not a tarball", "not a valid .tgz"); }

TEST(ChartArchive, ReadsChartFilesFromMemory) {
  std::string tgz = make_chart_tgz("demo", "1.2.3", {{"values.yaml", "replicas: 3\n"}});
  EXPECT_EQ(read_chart_file(tgz, "values.yaml"), "replicas: 3\n");
  auto meta = parse_chart_yaml(*read_chart_file(tgz, "Chart.yaml"));
  EXPECT_EQ(meta.name, "demo");
  EXPECT_EQ(meta.version, "1.2.3");
  EXPECT_FALSE(read_chart_file(tgz, "README.md"));
  // A nested values.yaml (a subchart's) is not the chart's.
  std::string nested =
      make_tgz({{"demo/Chart.yaml", kChartYaml}, {"demo/charts/sub/values.yaml", "x: 1\n"}});
  EXPECT_FALSE(read_chart_file(nested, "values.yaml"));
  EXPECT_THROW(read_chart_file(make_tgz({{"demo/../x", "x"}}), "values.yaml"), Error);
  EXPECT_THROW(parse_chart_yaml("name: x\n"), Error);
  EXPECT_THROW(parse_chart_yaml("[not: a map"), Error);
}

}  // namespace
}  // namespace ecrhelm::test
