// decode_secret: a Secret decoded once into what reconcilers compare
// (identity, labels, annotations, type, data as Secret values), never
// throwing, with a data value that is not base64 kept as an error that
// names the key and not the value.
#include "kube/objects.h"

#include <gtest/gtest.h>

#include "util/error.h"

namespace ecrhelm::kube {
namespace {

using nlohmann::json;

TEST(DecodeSecret, KeepsIdentityMetadataTypeAndDecodedData) {
  json s = {{"metadata",
             {{"name", "repo"},
              {"namespace", "argocd"},
              {"uid", "u-1"},
              {"resourceVersion", "42"},
              {"labels", {{"argocd.argoproj.io/secret-type", "repository"}}},
              {"annotations", {{"ecrhelm.io/region", "eu-west-1"}}}}},
            {"type", "Opaque"},
            {"data", {{"password", "c2VjcmV0"}, {"url", "b2NpOi8vaG9zdA=="}}}};
  SecretObject o = decode_secret(s);
  EXPECT_EQ(o.ref.kind, "Secret");  // a list item carries no kind: the decoder knows it
  EXPECT_EQ(o.ref.api_version, "v1");
  EXPECT_EQ(o.ref.ns, "argocd");
  EXPECT_EQ(o.ref.name, "repo");
  EXPECT_EQ(o.ref.uid, "u-1");
  EXPECT_EQ(o.ref.resource_version, "42");
  EXPECT_EQ(o.labels.at("argocd.argoproj.io/secret-type"), "repository");
  EXPECT_EQ(o.annotations.at("ecrhelm.io/region"), "eu-west-1");
  EXPECT_EQ(o.type, "Opaque");
  EXPECT_EQ(o.data_or_throw().at("password").reveal(), "secret");
  EXPECT_EQ(o.data.at("url").reveal(), "oci://host");
  EXPECT_TRUE(o.data_error.empty());
}

TEST(DecodeSecret, AValueThatIsNotBase64IsAnErrorNamingTheKeyNotTheValue) {
  json s = {{"metadata", {{"name", "repo"}, {"namespace", "argocd"}}},
            {"data", {{"password", "not base64 !!"}}}};
  SecretObject o = decode_secret(s);  // does not throw
  EXPECT_TRUE(o.data.empty());
  EXPECT_NE(o.data_error.find("password"), std::string::npos) << o.data_error;
  EXPECT_EQ(o.data_error.find("not base64 !!"), std::string::npos) << o.data_error;
  EXPECT_THROW(o.data_or_throw(), Error);
  EXPECT_TRUE(decode_secret({{"metadata", {{"name", "x"}}}}).data_or_throw().empty());
}

}  // namespace
}  // namespace ecrhelm::kube
