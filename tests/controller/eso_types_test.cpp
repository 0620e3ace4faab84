#include "controller/eso_types.h"

#include <gtest/gtest.h>

#include "util/error.h"

namespace ecrhelm::controller {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// The seed's external-secret.yaml, placeholders filled.
json seed_external_secret() {
  return json::parse(R"({
    "apiVersion": "external-secrets.io/v1beta1", "kind": "ExternalSecret",
    "metadata": {"name": "repo-2529854065", "namespace": "argocd", "generation": 1},
    "spec": {
      "refreshInterval": "12h",
      "target": {"name": "repo-2529854065", "creationPolicy": "Merge",
                 "template": {"data": {"password": "{{ .password }}"}}},
      "dataFrom": [{"sourceRef": {"generatorRef": {
          "apiVersion": "generators.external-secrets.io/v1alpha1", "kind": "ECRAuthorizationToken", "name": "ecr-gen"}}}]
    }})");
}

std::string error_of(const json& es) {
  try {
    parse_external_secret(es);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(GoDuration, ParsesWhatTimeParseDurationAccepts) {
  EXPECT_EQ(parse_go_duration("12h"), std::chrono::milliseconds(12h));
  EXPECT_EQ(parse_go_duration("1h30m"), std::chrono::milliseconds(90min));
  EXPECT_EQ(parse_go_duration("1.5h"), std::chrono::milliseconds(90min));
  EXPECT_EQ(parse_go_duration("90s"), std::chrono::milliseconds(90s));
  EXPECT_EQ(parse_go_duration("250ms"), 250ms);
  EXPECT_EQ(parse_go_duration("0"), 0ms);
  EXPECT_EQ(parse_go_duration("0s"), 0ms);
  EXPECT_FALSE(parse_go_duration(""));
  EXPECT_FALSE(parse_go_duration("12"));
  EXPECT_FALSE(parse_go_duration("1d"));
  EXPECT_FALSE(parse_go_duration("h"));
  EXPECT_FALSE(parse_go_duration("-1h"));
}

TEST(ExternalSecretSpec, TheSeedsManifest) {
  ExternalSecretSpec s = parse_external_secret(seed_external_secret());
  EXPECT_EQ(s.refresh_interval, std::chrono::milliseconds(12h));
  EXPECT_EQ(s.refresh_policy, "Periodic");
  EXPECT_EQ(s.target_name, "repo-2529854065");
  EXPECT_EQ(s.creation_policy, "Merge");
  EXPECT_TRUE(s.has_template);
  EXPECT_EQ(s.template_data.at("password"), "{{ .password }}");
  EXPECT_EQ(s.merge_policy, "Replace");
  ASSERT_EQ(s.generators.size(), 1u);
  EXPECT_EQ(s.generators[0].kind, "ECRAuthorizationToken");
  EXPECT_EQ(s.generators[0].name, "ecr-gen");
}

TEST(ExternalSecretSpec, DefaultsAsEso) {
  json es = seed_external_secret();
  es["spec"].erase("refreshInterval");
  es["spec"].erase("target");
  ExternalSecretSpec s = parse_external_secret(es);
  EXPECT_EQ(s.refresh_interval, std::chrono::milliseconds(1h));
  EXPECT_EQ(s.target_name, "repo-2529854065");  // the ExternalSecret's name
  EXPECT_EQ(s.creation_policy, "Owner");
  EXPECT_FALSE(s.has_template);
}

TEST(ExternalSecretSpec, ErrorsNameTheField) {
  json es = seed_external_secret();
  es["spec"]["refreshInterval"] = "12 hours";
  EXPECT_EQ(error_of(es), "spec.refreshInterval '12 hours' is not a duration like 1h or 12h30m");
  es = seed_external_secret();
  es["spec"]["target"]["creationPolicy"] = "Replace";
  EXPECT_EQ(error_of(es),
            "spec.target.creationPolicy 'Replace' is not one of Owner, Orphan, Merge, None, "
            "CreateOrMerge");
  es = seed_external_secret();
  es["spec"]["dataFrom"][0]["sourceRef"]["generatorRef"]["kind"] = "Password";
  EXPECT_EQ(error_of(es),
            "spec.dataFrom[0].sourceRef.generatorRef kind 'Password' is not served by ecrhelm; use "
            "ECRAuthorizationToken or ClusterGenerator");
  es = seed_external_secret();
  es["spec"]["data"] = json::array({{{"secretKey", "x"}}});
  EXPECT_EQ(error_of(es),
            "spec.data (secret store references) is not supported by ecrhelm; use "
            "dataFrom[].sourceRef.generatorRef");
  es = seed_external_secret();
  es["spec"]["dataFrom"] = json::array();
  EXPECT_EQ(error_of(es),
            "spec.dataFrom is empty; add a sourceRef.generatorRef to an ECRAuthorizationToken");
}

TEST(ExternalSecretSpec, SyncedResourceVersionChangesWithAnnotationsAndGeneration) {
  json es = seed_external_secret();
  std::string v1 = synced_resource_version(es);
  EXPECT_EQ(v1.substr(0, 2), "1-");
  es["metadata"]["annotations"] = {{"force-sync", "1700000000"}};
  std::string v2 = synced_resource_version(es);
  EXPECT_NE(v1, v2);
  es["metadata"]["generation"] = 2;
  EXPECT_EQ(synced_resource_version(es).substr(0, 2), "2-");
  es["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = "{}";
  EXPECT_EQ(synced_resource_version(es).substr(2),
            v2.substr(2));  // kubectl's own annotation is ignored
}

TEST(ExternalSecret, KeepsWhatTheReconcilerReadsAndNoMore) {
  json es = seed_external_secret();
  es["metadata"]["uid"] = "u-1";
  es["metadata"]["resourceVersion"] = "42";
  es["metadata"]["annotations"] = {
      {"kubectl.kubernetes.io/last-applied-configuration", std::string(4000, 'x')}};
  es["status"] = json::parse(R"({
    "binding": {"name": "repo-2529854065"}, "refreshTime": "2026-11-29T10:00:01Z",
    "syncedResourceVersion": "1-abc",
    "conditions": [{"type": "Other", "status": "False"},
                   {"type": "Ready", "status": "True", "reason": "SecretSynced",
                    "message": "Secret was synced", "lastTransitionTime": "2026-11-29T10:00:02Z"}]})");
  ExternalSecret o = decode_external_secret(es);
  EXPECT_EQ(o.ref.api_version, "external-secrets.io/v1beta1");
  EXPECT_EQ(o.ref.kind, "ExternalSecret");
  EXPECT_EQ(o.ref.ns, "argocd");
  EXPECT_EQ(o.ref.name, "repo-2529854065");
  EXPECT_EQ(o.ref.uid, "u-1");
  EXPECT_EQ(o.ref.resource_version, "42");
  EXPECT_FALSE(o.deleting);
  EXPECT_EQ(o.synced_version, synced_resource_version(es));
  ASSERT_TRUE(o.spec.has_value());
  EXPECT_EQ(o.spec->target_name, "repo-2529854065");
  EXPECT_EQ(o.spec->creation_policy, "Merge");
  EXPECT_EQ(o.status.binding, "repo-2529854065");
  EXPECT_EQ(o.status.synced_resource_version, "1-abc");
  ASSERT_TRUE(o.status.refresh_time.has_value());
  EXPECT_EQ(format_iso8601(*o.status.refresh_time), "2026-11-29T10:00:01Z");
  ASSERT_TRUE(o.status.ready.has_value());
  EXPECT_EQ(o.status.ready->status, "True");
  EXPECT_EQ(o.status.ready->reason, "SecretSynced");
  EXPECT_EQ(o.status.ready->last_transition_time, "2026-11-29T10:00:02Z");
}

TEST(ExternalSecret, ABadSpecOrStatusIsKeptWithItsErrorNeverThrown) {
  json es = seed_external_secret();
  es["spec"]["refreshInterval"] = "soon";
  es["metadata"]["deletionTimestamp"] = "2026-11-29T10:00:00Z";
  // A status someone else wrote with the wrong types is read as absent.
  es["status"] = {{"binding", {{"name", 5}}}, {"refreshTime", 7}, {"conditions", "no"}};
  ExternalSecret o;
  ASSERT_NO_THROW(o = decode_external_secret(es));
  EXPECT_FALSE(o.spec.has_value());
  EXPECT_EQ(o.spec_error, error_of(es));
  EXPECT_NE(o.spec_error.find("refreshInterval"), std::string::npos) << o.spec_error;
  EXPECT_TRUE(o.deleting);
  EXPECT_EQ(o.status.binding, "");
  EXPECT_FALSE(o.status.refresh_time.has_value());
  EXPECT_FALSE(o.status.ready.has_value());
}

}  // namespace
}  // namespace ecrhelm::controller
