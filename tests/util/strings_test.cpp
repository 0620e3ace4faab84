// The small string helpers of util/strings.
#include "util/strings.h"

#include <gtest/gtest.h>

namespace ecrhelm {
namespace {

TEST(Join, PutsTheSeparatorBetweenPartsOnly) {
  EXPECT_EQ(join({}, ", "), "");
  EXPECT_EQ(join({"a"}, ", "), "a");
  EXPECT_EQ(join({"a", "b", "c"}, ", "), "a, b, c");
  EXPECT_EQ(join({"", "b", ""}, ","), ",b,");  // empty parts keep their place
}

TEST(Split, KeepsEmptyFieldsAndJoinUndoesIt) {
  auto parts = split("a,,b,", ',');
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[1], "");
  std::vector<std::string> owned(parts.begin(), parts.end());
  EXPECT_EQ(join(owned, ","), "a,,b,");
}

}  // namespace
}  // namespace ecrhelm
