// OCI reference parsing: the distribution grammar, Helm's tag mapping and
// Argo CD's repoURL + chart form.
#include "oci/reference.h"

#include <gtest/gtest.h>

#include "util/error.h"

namespace ecrhelm::oci {
namespace {

const std::string kSha256(64, 'a');
const std::string kSha512(128, '0');
constexpr const char* kEcr = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

struct Valid {
  std::string input;
  Reference want;
};

TEST(ParseReference, ValidReferences) {
  const std::string ecr = kEcr;
  const std::vector<Valid> cases = {
      {"oci://" + ecr + "/charts/podinfo:6.5.0", {ecr, "charts/podinfo", "6.5.0", ""}},
      {ecr + "/charts/podinfo:6.5.0", {ecr, "charts/podinfo", "6.5.0", ""}},
      {"oci://" + ecr + "/podinfo", {ecr, "podinfo", "", ""}},
      {"oci://localhost:5000/a/b/c/d:latest", {"localhost:5000", "a/b/c/d", "latest", ""}},
      {"oci://127.0.0.1:5000/repo:v1", {"127.0.0.1:5000", "repo", "v1", ""}},
      {"oci://[::1]:5000/repo:v1", {"[::1]:5000", "repo", "v1", ""}},
      {"oci://[fe80::1]/repo", {"[fe80::1]", "repo", "", ""}},
      {"oci://Registry.Example.COM/repo", {"registry.example.com", "repo", "", ""}},
      {"oci://ghcr.io/stefanprodan/charts/podinfo:6.5.0",
       {"ghcr.io", "stefanprodan/charts/podinfo", "6.5.0", ""}},
      {"oci://r.io/a.b_c__d-e--f/g:1", {"r.io", "a.b_c__d-e--f/g", "1", ""}},
      {"oci://r.io/repo@sha256:" + kSha256, {"r.io", "repo", "", "sha256:" + kSha256}},
      {"oci://r.io/repo:1.0@sha512:" + kSha512, {"r.io", "repo", "1.0", "sha512:" + kSha512}},
      {"oci://r.io/repo:1.0.0+build.7", {"r.io", "repo", "1.0.0_build.7", ""}},
      {"oci://r.io/repo:_private", {"r.io", "repo", "_private", ""}},
      {"oci://r.io/repo:" + std::string(128, 't'), {"r.io", "repo", std::string(128, 't'), ""}},
      {"oci://my-registry/repo", {"my-registry", "repo", "", ""}},
      {"oci://a/b", {"a", "b", "", ""}},
      {"oci://r.io/0/1", {"r.io", "0/1", "", ""}},
      {"oci://r.io:65535/x", {"r.io:65535", "x", "", ""}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.input);
    Reference got;
    ASSERT_NO_THROW(got = parse_reference(c.input));
    EXPECT_EQ(got.registry, c.want.registry);
    EXPECT_EQ(got.repository, c.want.repository);
    EXPECT_EQ(got.tag, c.want.tag);
    EXPECT_EQ(got.digest, c.want.digest);
  }
}

TEST(ParseReference, InvalidReferences) {
  const std::vector<std::string> cases = {
      "",
      "oci://",
      "oci://r.io",            // no repository
      "oci://r.io/",           // empty repository
      "oci://r.io//repo",      // empty component
      "oci://r.io/repo/",      // trailing slash
      "oci://r.io/Repo",       // upper case
      "oci://r.io/-repo",      // leading separator
      "oci://r.io/repo-",      // trailing separator
      "oci://r.io/re..po",     // double dot
      "oci://r.io/re___po",    // three underscores
      "oci://r.io/re._po",     // mixed separators
      "oci://r.io/re po",      // space
      "oci://r.io/repo:",      // empty tag
      "oci://r.io/repo:.tag",  // tag starts with '.'
      "oci://r.io/repo:-tag",  // tag starts with '-'
      "oci://r.io/repo:t/ag",  // '/' in tag
      "oci://r.io/repo:a:b",   // ':' in tag
      "oci://r.io/repo:" + std::string(129, 't'),
      "oci://r.io/repo@",                                // empty digest
      "oci://r.io/repo@sha256",                          // no hex
      "oci://r.io/repo@sha256:abc",                      // short
      "oci://r.io/repo@sha256:" + std::string(64, 'A'),  // upper-case hex
      "oci://r.io/repo@sha256:" + std::string(65, 'a'),
      "oci://r.io/repo@sha512:" + kSha256,  // wrong length for sha512
      "oci://r.io/repo@md5:" + std::string(32, 'a'),
      "oci://r.io/repo@SHA256:" + kSha256,
      "oci://r.io/repo@sha256:" + kSha256 + "@sha256:" + kSha256,
      "oci://-r.io/repo",  // host label starts with '-'
      "oci://r-.io/repo",
      "oci://r..io/repo",
      "oci://r_io/repo",   // '_' in host
      "oci://r.io:/repo",  // empty port
      "oci://r.io:0/repo",
      "oci://r.io:65536/repo",
      "oci://r.io:12ab/repo",
      "oci://[::1/repo",  // unclosed bracket
      "oci://[zz]/repo",
      "oci://[::1]x/repo",
      "https://r.io/repo",                    // wrong scheme
      "oci:///repo",                          // empty host
      "oci://r.io/" + std::string(251, 'a'),  // name too long
      std::string(2000, 'a'),
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.substr(0, 100));
    try {
      parse_reference(c);
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
      std::string m = e.what();
      EXPECT_TRUE(m.find("expected") != std::string::npos || m.find("at most") != std::string::npos)
          << m;
    }
  }
}

TEST(ParseReference, NameLengthLimitIsInclusive) {
  // "r.io/" is 5 characters: a 250-character repository makes exactly 255.
  std::string repo(250, 'a');
  EXPECT_EQ(parse_reference("oci://r.io/" + repo).repository, repo);
  EXPECT_THROW(parse_reference("oci://r.io/" + repo + "a"), Error);
}

TEST(ParseReference, MessagesNameTheBadPart) {
  auto message = [](const std::string& in) -> std::string {
    try {
      parse_reference(in);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(message("oci://r.io/Charts").find("lower-case"), std::string::npos);
  EXPECT_NE(message("oci://r.io/repo@md5:abcd").find("sha256 and sha512"), std::string::npos);
  EXPECT_NE(message("oci://r.io/repo@sha256:abcd").find("64"), std::string::npos);
  EXPECT_NE(message("oci://r.io:99999/repo").find("port"), std::string::npos);
  EXPECT_NE(message("oci://r.io/repo:-x").find("tag"), std::string::npos);
  EXPECT_NE(message("https://r.io/repo").find("oci://"), std::string::npos);
}

TEST(ParseReference, CredentialsInTheReferenceAreNeverEchoed) {
  try {
    parse_reference("oci://user:hunter2@r.io/repo");
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("credentials"), std::string::npos);
  }
}

TEST(ParseReference, ToStringRoundTrips) {
  for (const std::string& in :
       std::vector<std::string>{"r.io/repo", "r.io:5000/a/b:1.0", "r.io/repo@sha256:" + kSha256,
                                "r.io/repo:1.0_meta@sha256:" + kSha256, "[::1]:5000/x:y"}) {
    EXPECT_EQ(parse_reference(in).to_string(), in);
    EXPECT_EQ(parse_reference("oci://" + in).to_string(), in);
    EXPECT_EQ(parse_reference(parse_reference(in).to_string()), parse_reference(in));
  }
}

TEST(Tags, HelmPlusUnderscoreMapping) {
  EXPECT_EQ(to_tag("1.2.3+build.5"), "1.2.3_build.5");
  EXPECT_EQ(to_tag("1.2.3"), "1.2.3");
  EXPECT_EQ(to_tag("1+2+3"), "1_2_3");
  EXPECT_EQ(from_tag("1.2.3_build.5"), "1.2.3+build.5");
  EXPECT_EQ(from_tag("latest"), "latest");
  EXPECT_EQ(from_tag(to_tag("0.1.0-rc.1+sha.abc")), "0.1.0-rc.1+sha.abc");
}

TEST(Digests, Problems) {
  EXPECT_FALSE(digest_problem("sha256:" + kSha256));
  EXPECT_FALSE(digest_problem("sha512:" + kSha512));
  EXPECT_TRUE(digest_problem(""));
  EXPECT_TRUE(digest_problem(":"));
  EXPECT_TRUE(digest_problem("sha256:"));
  EXPECT_TRUE(digest_problem(":" + kSha256));
  EXPECT_TRUE(digest_problem("sha256" + kSha256));
  EXPECT_TRUE(digest_problem("sha256:" + kSha256.substr(1) + "g"));
  EXPECT_TRUE(digest_problem("sha384:" + std::string(96, 'a')));
  EXPECT_TRUE(digest_problem("sha256+b64u:" + kSha256));
  EXPECT_TRUE(digest_problem("-sha256:" + kSha256));
  EXPECT_TRUE(digest_problem("sha256::" + kSha256));
}

TEST(FromArgocd, EcrRepositoryAndChart) {
  auto r = from_argocd("123456789012.dkr.ecr.us-east-1.amazonaws.com/charts", "podinfo");
  EXPECT_EQ(r.registry, kEcr);
  EXPECT_EQ(r.repository, "charts/podinfo");
  EXPECT_TRUE(r.tag.empty());
  EXPECT_TRUE(r.digest.empty());
}

TEST(FromArgocd, AcceptedSpellings) {
  for (const char* url :
       {"r.io/charts", "r.io/charts/", "oci://r.io/charts", "https://r.io/charts"}) {
    SCOPED_TRACE(url);
    auto r = from_argocd(url, "app");
    EXPECT_EQ(r.registry, "r.io");
    EXPECT_EQ(r.repository, "charts/app");
  }
  EXPECT_EQ(from_argocd("r.io", "app").repository, "app");
  EXPECT_EQ(from_argocd("r.io:5000", "team/app").repository, "team/app");
  EXPECT_EQ(from_argocd("r.io/charts", "/app/").repository, "charts/app");
}

TEST(FromArgocd, Rejections) {
  EXPECT_THROW(from_argocd("", "app"), Error);
  EXPECT_THROW(from_argocd("oci://", "app"), Error);
  EXPECT_THROW(from_argocd("r.io/charts", ""), Error);
  EXPECT_THROW(from_argocd("r.io/charts", "app:1.0"), Error);
  EXPECT_THROW(from_argocd("r.io/charts", "app@sha256:" + kSha256), Error);
  EXPECT_THROW(from_argocd("r.io/Charts", "app"), Error);
  EXPECT_THROW(from_argocd("r.io/charts:1.0", "app"), Error);
  EXPECT_THROW(from_argocd("http://r.io/charts", "app"), Error);
}

}  // namespace
}  // namespace ecrhelm::oci
