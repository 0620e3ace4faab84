// JSON log lines are JSON whatever the message holds: a quote, a newline,
// control bytes or invalid UTF-8 cannot end the line or add a field.
#include "util/log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "support/testbed.h"
#include "util/fs.h"

namespace ecrhelm {
namespace {

TEST(JsonLog, EveryLineParsesAndHoldsTheMessageAsWritten) {
  test::TempDir dir;
  std::string path = dir.file("stderr");
  int saved = ::dup(2);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  ::dup2(fd, 2);
  ::close(fd);
  init_logging("info", LogFormat::kJson);
  const std::string forged = "x\",\"level\":\"error\",\"admin\":true}\n{\"msg\":\"y";
  spdlog::info("value: {}", forged);
  spdlog::warn("bytes: {}", std::string("\x01\x7f\xff\xfe tab\t", 8));
  spdlog::default_logger()->flush();
  ::dup2(saved, 2);
  ::close(saved);

  std::istringstream in(read_file(path, "log"));
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << line;
    lines.push_back(j);
  }
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["msg"], "value: " + forged);
  EXPECT_EQ(lines[0]["level"], "info");
  EXPECT_FALSE(lines[0].contains("admin"));
  EXPECT_EQ(lines[1]["level"], "warning");
  EXPECT_EQ(lines[0].size(), 3u);
  EXPECT_NE(lines[0]["time"].get<std::string>().find('T'), std::string::npos);
}

}  // namespace
}  // namespace ecrhelm
