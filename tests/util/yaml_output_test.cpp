// `-o yaml`: block style in the document's key order, strings quoted when a
// YAML reader would take them for another type, empty maps and lists in
// flow style, numbers and booleans as JSON writes them.
#include "util/yaml_output.h"

#include <gtest/gtest.h>

namespace ecrhelm {
namespace {

TEST(YamlOutput, KeepsTheOrderAndQuotesWhatWouldNotReadBackAsAString) {
  nlohmann::ordered_json doc = {{"version", "0.1.0"},
                                {"b", "yes"},
                                {"a", "1.5"},
                                {"date", "2026-12-07"},
                                {"plain", "hello"},
                                {"empty", ""},
                                {"n", 3},
                                {"t", true},
                                {"none", nullptr},
                                {"list", {"x", "null"}},
                                {"map", nlohmann::ordered_json::object()},
                                {"seq", nlohmann::ordered_json::array()}};
  EXPECT_EQ(to_yaml(doc),
            "version: 0.1.0\n"
            "b: \"yes\"\n"
            "a: \"1.5\"\n"
            "date: \"2026-12-07\"\n"
            "plain: hello\n"
            "empty: \"\"\n"
            "\"n\": 3\n"  // n is a boolean to YAML 1.1, as a key too
            "t: true\n"
            "none: ~\n"
            "list:\n"
            "  - x\n"
            "  - \"null\"\n"
            "map: {}\n"
            "seq: []\n");
}

TEST(YamlOutput, NestedMapsAreIndentedAndQuotedKeysToo) {
  nlohmann::json doc = {{"outer", {{"true", "v"}}}};
  EXPECT_EQ(to_yaml(doc), "outer:\n  \"true\": v\n");
}

}  // namespace
}  // namespace ecrhelm
