// What the controller keeps of the Secrets it owns, and which ExternalSecret
// events are worth a reconcile: pure functions, no API server.
#include <gtest/gtest.h>

#include "controller/controllers.h"

namespace ecrhelm::controller {
namespace {

using nlohmann::json;

json external_secret(int generation, json labels = json::object()) {
  return {
      {"apiVersion", "external-secrets.io/v1beta1"},
      {"kind", "ExternalSecret"},
      {"metadata",
       {{"name", "es"}, {"namespace", "team-a"}, {"generation", generation}, {"labels", labels}}},
      {"spec",
       {{"target", {{"name", "repo"}}},
        {"dataFrom", json::array({{{"sourceRef",
                                    {{"generatorRef",
                                      {{"apiVersion", "generators.external-secrets.io/v1alpha1"},
                                       {"kind", "ECRAuthorizationToken"},
                                       {"name", "gen"}}}}}}})}}}};
}

TEST(EventFilter, OurOwnStatusWriteIsNotWorthAReconcileASpecOrLabelChangeIs) {
  json before = external_secret(1);
  json after_status = before;
  after_status["metadata"]["resourceVersion"] = "2";
  after_status["status"] = {{"refreshTime", "2026-11-29T10:00:00Z"}};
  ExternalSecret old_obj = decode_external_secret(before);
  EXPECT_TRUE(worth_reconciling(old_obj, nullptr));  // ADDED, or a relist's first sight
  EXPECT_FALSE(worth_reconciling(decode_external_secret(after_status), &old_obj));

  json new_spec = external_secret(2);
  EXPECT_TRUE(worth_reconciling(decode_external_secret(new_spec), &old_obj));
  json relabelled = external_secret(1, {{"force-sync", "1"}});
  EXPECT_TRUE(worth_reconciling(decode_external_secret(relabelled), &old_obj));
  json deleting = before;
  deleting["metadata"]["deletionTimestamp"] = "2026-11-29T10:00:00Z";
  EXPECT_TRUE(worth_reconciling(decode_external_secret(deleting), &old_obj));
}

TEST(OwnedSecret, KeepsItsExternalSecretOwnersAndNoData) {
  json secret = {{"metadata",
                  {{"name", "repo"},
                   {"namespace", "team-a"},
                   {"ownerReferences", json::array({{{"kind", "ExternalSecret"}, {"name", "es-1"}},
                                                    {{"kind", "Deployment"}, {"name", "web"}},
                                                    {{"kind", "ExternalSecret"}, {"name", 7}}})}}},
                 {"data", {{"password", "c2VjcmV0"}}}};
  OwnedSecret o = decode_owned_secret(secret);
  EXPECT_EQ(o.ns, "team-a");
  EXPECT_EQ(o.owners, std::vector<std::string>{"es-1"});
  EXPECT_TRUE(decode_owned_secret({{"metadata", {{"name", "x"}}}}).owners.empty());
}

}  // namespace
}  // namespace ecrhelm::controller
