// Manifest and index parsing (strict, errors name the field) and Helm's
// chart / provenance layer choice.
#include "oci/manifest.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "util/error.h"

namespace ecrhelm::oci {
namespace {

using nlohmann::json;

const std::string kD1 = "sha256:" + std::string(64, '1');
const std::string kD2 = "sha256:" + std::string(64, '2');
const std::string kD3 = "sha256:" + std::string(64, '3');

json descriptor(std::string_view media_type, const std::string& digest, int64_t size) {
  return json{{"mediaType", media_type}, {"digest", digest}, {"size", size}};
}

// What `helm push` writes (Helm 3.8+).
json helm_manifest() {
  return json{{"schemaVersion", 2},
              {"mediaType", kOciManifestMediaType},
              {"config", descriptor(kHelmConfigMediaType, kD1, 117)},
              {"layers", json::array({descriptor(kHelmChartLayerMediaType, kD2, 3873)})},
              {"annotations",
               {{"org.opencontainers.image.title", "podinfo"},
                {"org.opencontainers.image.version", "6.5.0"}}}};
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

TEST(ParseManifest, HelmChart) {
  Manifest m = parse_manifest(helm_manifest().dump());
  EXPECT_EQ(m.schema_version, 2);
  EXPECT_EQ(m.media_type, kOciManifestMediaType);
  EXPECT_EQ(m.config.media_type, kHelmConfigMediaType);
  EXPECT_EQ(m.config.digest, kD1);
  EXPECT_EQ(m.config.size, 117);
  ASSERT_EQ(m.layers.size(), 1u);
  EXPECT_EQ(m.layers[0].size, 3873);
  EXPECT_EQ(m.annotations.at("org.opencontainers.image.version"), "6.5.0");
  EXPECT_FALSE(m.subject);
}

TEST(ParseManifest, HelmPushShapeWithProvenance) {
  // The shape `helm push` writes, here without the optional top-level mediaType.
  const char* text = R"({
  "schemaVersion": 2,
  "config": {
    "mediaType": "application/vnd.cncf.helm.config.v1+json",
    "digest": "sha256:8ed7fc5d4e1c2d6f1e4f2c8b0d7a3f9b1c3e5a7d9f0b2c4e6a8c0e2f4a6b8d0c",
    "size": 143
  },
  "layers": [
    {
      "mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
      "digest": "sha256:0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c",
      "size": 12345
    },
    {
      "mediaType": "application/vnd.cncf.helm.chart.provenance.v1.prov",
      "digest": "sha256:1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d",
      "size": 1024
    }
  ],
  "annotations": {"org.opencontainers.image.created": "2024-01-01T00:00:00Z"}
})";
  Manifest m = parse_manifest(text);
  EXPECT_TRUE(m.media_type.empty());
  auto layers = find_chart_layers(m);
  EXPECT_EQ(layers.chart.size, 12345);
  ASSERT_TRUE(layers.provenance);
  EXPECT_EQ(layers.provenance->size, 1024);
  EXPECT_FALSE(layers.legacy_media_type);
}

TEST(ParseManifest, DockerV2AndOptionalFields) {
  json j = helm_manifest();
  j["mediaType"] = kDockerManifestMediaType;
  j["artifactType"] = "application/vnd.example+json";
  j["layers"][0]["urls"] = json::array({"https://mirror/blob"});
  j["layers"][0]["annotations"] = {{"k", "v"}};
  j["subject"] = descriptor(kOciManifestMediaType, kD3, 10);
  Manifest m = parse_manifest(j.dump());
  EXPECT_EQ(m.artifact_type, "application/vnd.example+json");
  EXPECT_EQ(m.layers[0].urls.at(0), "https://mirror/blob");
  EXPECT_EQ(m.layers[0].annotations.at("k"), "v");
  ASSERT_TRUE(m.subject);
  EXPECT_EQ(m.subject->digest, kD3);
}

TEST(ParseManifest, SizesAtTheEdges) {
  json j = helm_manifest();
  j["layers"][0]["size"] = 0;
  EXPECT_EQ(parse_manifest(j.dump()).layers[0].size, 0);
  j["layers"][0]["size"] = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(parse_manifest(j.dump()).layers[0].size, std::numeric_limits<int64_t>::max());
  EXPECT_NE(error_of([&] {
              parse_manifest(R"({"schemaVersion":2,"config":{"mediaType":"a/b","digest":")" + kD1 +
                             R"(","size":9223372036854775808},"layers":[]})");
            }).find("config.size"),
            std::string::npos);
}

struct Bad {
  std::string name;
  std::function<void(json&)> change;
  std::string field;  // must appear in the message
};

TEST(ParseManifest, StrictValidationNamesTheField) {
  const std::vector<Bad> cases = {
      {"no schemaVersion", [](json& j) { j.erase("schemaVersion"); }, "schemaVersion"},
      {"schemaVersion 1", [](json& j) { j["schemaVersion"] = 1; }, "schemaVersion"},
      {"schemaVersion string", [](json& j) { j["schemaVersion"] = "2"; }, "schemaVersion"},
      {"schemaVersion float", [](json& j) { j["schemaVersion"] = 2.0; }, "schemaVersion"},
      {"index mediaType", [](json& j) { j["mediaType"] = kOciIndexMediaType; }, "index"},
      {"unknown mediaType", [](json& j) { j["mediaType"] = "text/plain"; }, "mediaType"},
      {"mediaType number", [](json& j) { j["mediaType"] = 5; }, "mediaType"},
      {"no config", [](json& j) { j.erase("config"); }, "config"},
      {"config array", [](json& j) { j["config"] = json::array(); }, "config"},
      {"no layers", [](json& j) { j.erase("layers"); }, "layers"},
      {"layers object", [](json& j) { j["layers"] = json::object(); }, "layers"},
      {"layer not object", [](json& j) { j["layers"][0] = "x"; }, "layers[0]"},
      {"no digest", [](json& j) { j["layers"][0].erase("digest"); }, "layers[0].digest"},
      {"bad digest", [](json& j) { j["layers"][0]["digest"] = "sha256:abc"; }, "layers[0].digest"},
      {"md5 digest", [](json& j) { j["config"]["digest"] = "md5:" + std::string(32, 'a'); },
       "config.digest"},
      {"upper hex", [](json& j) { j["config"]["digest"] = "sha256:" + std::string(64, 'A'); },
       "config.digest"},
      {"negative size", [](json& j) { j["layers"][0]["size"] = -1; }, "layers[0].size"},
      {"float size", [](json& j) { j["layers"][0]["size"] = 1.5; }, "layers[0].size"},
      {"string size", [](json& j) { j["layers"][0]["size"] = "10"; }, "layers[0].size"},
      {"no size", [](json& j) { j["config"].erase("size"); }, "config.size"},
      {"no mediaType", [](json& j) { j["layers"][0].erase("mediaType"); }, "layers[0].mediaType"},
      {"bad mediaType", [](json& j) { j["layers"][0]["mediaType"] = "nonsense"; },
       "layers[0].mediaType"},
      {"annotation not string", [](json& j) { j["annotations"]["n"] = 1; }, "annotations[\"n\"]"},
      {"annotations array", [](json& j) { j["annotations"] = json::array(); }, "annotations"},
      {"layer annotation",
       [](json& j) {
         j["layers"][0]["annotations"] = {{"a", true}};
       },
       "layers[0].annotations"},
      {"urls not array", [](json& j) { j["layers"][0]["urls"] = "u"; }, "layers[0].urls"},
      {"bad subject",
       [](json& j) {
         j["subject"] = {{"mediaType", "a/b"}};
       },
       "subject.digest"},
      {"bad artifactType", [](json& j) { j["artifactType"] = "x"; }, "artifactType"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    json j = helm_manifest();
    c.change(j);
    std::string msg = error_of([&] { parse_manifest(j.dump()); });
    EXPECT_NE(msg.find(c.field), std::string::npos) << msg;
  }
}

TEST(ParseManifest, NotJsonOrNotAnObject) {
  for (const char* text : {"", "{", "[]", "null", "2", "\"x\"", "{\"schemaVersion\":2,}"}) {
    SCOPED_TRACE(text);
    error_of([&] { parse_manifest(text); });
  }
  error_of([&] { parse_manifest(std::string(kMaxManifestBytes + 1, ' ')); });
}

TEST(ParseManifest, IndexWithoutMediaTypeIsRecognised) {
  json idx = {{"schemaVersion", 2},
              {"manifests", json::array({descriptor(kOciManifestMediaType, kD1, 5)})}};
  EXPECT_NE(error_of([&] { parse_manifest(idx.dump()); }).find("index"), std::string::npos);
}

TEST(ParseIndex, MultiPlatformImage) {
  json first = descriptor(kOciManifestMediaType, kD1, 500);
  first["platform"] = {{"architecture", "amd64"}, {"os", "linux"}};
  json second = descriptor(kOciManifestMediaType, kD2, 501);
  second["platform"] = {{"architecture", "arm64"},
                        {"os", "linux"},
                        {"variant", "v8"},
                        {"os.version", "1"},
                        {"os.features", {"f"}}};
  json j = {{"schemaVersion", 2},
            {"mediaType", kOciIndexMediaType},
            {"manifests", {first, second}},
            {"annotations", {{"a", "b"}}}};
  Index idx = parse_index(j.dump());
  ASSERT_EQ(idx.manifests.size(), 2u);
  ASSERT_TRUE(idx.manifests[0].platform);
  EXPECT_EQ(idx.manifests[0].platform->architecture, "amd64");
  EXPECT_EQ(idx.manifests[1].platform->variant, "v8");
  EXPECT_EQ(idx.manifests[1].platform->os_version, "1");
  EXPECT_EQ(idx.manifests[1].platform->os_features.at(0), "f");
  EXPECT_EQ(idx.annotations.at("a"), "b");

  j["mediaType"] = kDockerManifestListMediaType;
  EXPECT_NO_THROW(parse_index(j.dump()));
}

TEST(ParseIndex, StrictValidation) {
  json good = {{"schemaVersion", 2},
               {"manifests", json::array({descriptor(kOciManifestMediaType, kD1, 5)})}};
  const std::vector<Bad> cases = {
      {"manifest mediaType", [](json& j) { j["mediaType"] = kOciManifestMediaType; }, "manifest"},
      {"no manifests", [](json& j) { j.erase("manifests"); }, "manifests"},
      {"manifests object", [](json& j) { j["manifests"] = json::object(); }, "manifests"},
      {"bad digest", [](json& j) { j["manifests"][0]["digest"] = "x"; }, "manifests[0].digest"},
      {"no platform os",
       [](json& j) {
         j["manifests"][0]["platform"] = {{"architecture", "amd64"}};
       },
       "manifests[0].platform.os"},
      {"schema 3", [](json& j) { j["schemaVersion"] = 3; }, "schemaVersion"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    json j = good;
    c.change(j);
    std::string msg = error_of([&] { parse_index(j.dump()); });
    EXPECT_NE(msg.find(c.field), std::string::npos) << msg;
  }
}

TEST(Digest, IsValid) {
  EXPECT_TRUE(is_valid_digest(kD1));
  EXPECT_TRUE(is_valid_digest("sha512:" + std::string(128, 'f')));
  EXPECT_FALSE(is_valid_digest("sha256:" + std::string(63, '1')));
  EXPECT_FALSE(is_valid_digest("sha1:" + std::string(40, '1')));
  EXPECT_FALSE(is_valid_digest(""));
}

TEST(ChartLayers, ChartOnly) {
  auto l = find_chart_layers(parse_manifest(helm_manifest().dump()));
  EXPECT_EQ(l.chart.digest, kD2);
  EXPECT_FALSE(l.provenance);
  EXPECT_FALSE(l.legacy_media_type);
}

TEST(ChartLayers, LegacyMediaTypeIsFlagged) {
  json j = helm_manifest();
  j["layers"][0]["mediaType"] = kHelmLegacyChartLayerMediaType;
  auto l = find_chart_layers(parse_manifest(j.dump()));
  EXPECT_TRUE(l.legacy_media_type);
  EXPECT_EQ(l.chart.digest, kD2);
}

TEST(ChartLayers, UnknownLayersAreIgnored) {
  json j = helm_manifest();
  j["layers"].insert(j["layers"].begin(), descriptor("application/vnd.example.other", kD3, 1));
  EXPECT_EQ(find_chart_layers(parse_manifest(j.dump())).chart.digest, kD2);
}

TEST(ChartLayers, Errors) {
  json none = helm_manifest();
  none["layers"] = json::array();
  EXPECT_NE(error_of([&] {
              find_chart_layers(parse_manifest(none.dump()));
            }).find(kHelmChartLayerMediaType),
            std::string::npos);

  json two = helm_manifest();
  two["layers"].push_back(descriptor(kHelmChartLayerMediaType, kD3, 1));
  EXPECT_NE(error_of([&] { find_chart_layers(parse_manifest(two.dump())); }).find("2 chart layers"),
            std::string::npos);

  json mixed = helm_manifest();
  mixed["layers"].push_back(descriptor(kHelmLegacyChartLayerMediaType, kD3, 1));
  error_of([&] { find_chart_layers(parse_manifest(mixed.dump())); });

  json provs = helm_manifest();
  provs["layers"].push_back(descriptor(kHelmProvenanceMediaType, kD3, 1));
  provs["layers"].push_back(descriptor(kHelmProvenanceMediaType, kD1, 1));
  EXPECT_NE(error_of([&] { find_chart_layers(parse_manifest(provs.dump())); }).find("provenance"),
            std::string::npos);

  json image = helm_manifest();
  image["config"]["mediaType"] = "application/vnd.oci.image.config.v1+json";
  EXPECT_NE(
      error_of([&] { find_chart_layers(parse_manifest(image.dump())); }).find("not a Helm chart"),
      std::string::npos);
}

TEST(AcceptHeader, ListsEveryManifestKind) {
  std::string_view h = kManifestAcceptHeader;
  for (auto mt : {kOciManifestMediaType, kOciIndexMediaType, kDockerManifestMediaType,
                  kDockerManifestListMediaType, kOciArtifactManifestMediaType}) {
    EXPECT_NE(h.find(mt), std::string_view::npos) << mt;
  }
}

}  // namespace
}  // namespace ecrhelm::oci
