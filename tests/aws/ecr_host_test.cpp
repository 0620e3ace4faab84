// ECR registry host recognition: every form amazon-ecr-credential-helper
// accepts, the URL shapes users type, and lookalikes that must be refused.
#include <gtest/gtest.h>

#include "aws/ecr_host.h"

namespace ecrhelm::aws {
namespace {

TEST(ParseEcrHost, PrivateHostInEveryAcceptedSuffix) {
  struct Row {
    const char* host;
    const char* region;
    bool fips;
  };
  for (const Row& r : std::vector<Row>{
           {"123456789012.dkr.ecr.us-east-1.amazonaws.com", "us-east-1", false},
           {"123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", "us-gov-west-1", true},
           {"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", "cn-north-1", false},
           {"123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu", "eusc-de-east-1", false},
           {"123456789012.dkr-ecr.us-west-2.on.aws", "us-west-2", false},
           {"123456789012.dkr-ecr-fips.us-east-2.on.aws", "us-east-2", true},
           {"123456789012.dkr-ecr.cn-northwest-1.on.amazonwebservices.com.cn", "cn-northwest-1",
            false},
           {"123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov", "us-isob-east-1", false},
           {"123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov", "us-iso-east-1", false},
           {"123456789012.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk", "eu-isoe-west-1", false},
           {"123456789012.dkr.ecr.us-isof-south-1.csp.hci.ic.gov", "us-isof-south-1", false},
       }) {
    auto h = parse_ecr_host(r.host);
    ASSERT_TRUE(h) << r.host;
    EXPECT_EQ(h->account_id, "123456789012") << r.host;
    EXPECT_EQ(h->region, r.region) << r.host;
    EXPECT_EQ(h->fips, r.fips) << r.host;
    EXPECT_FALSE(h->is_public) << r.host;
    EXPECT_EQ(h->host, r.host);
  }
}

TEST(ParseEcrHost, UrlAndReferenceForms) {
  const std::string host = "210987654321.dkr.ecr.eu-west-1.amazonaws.com";
  for (const std::string& input :
       {host, "https://" + host, "http://" + host + "/", "oci://" + host + "/charts/app",
        host + "/team/chart", host + "/team/chart:1.2.3", "HTTPS://" + host, "OCI://" + host,
        host + ":443", "https://" + host + ":443/v2/", "  " + host + "\n", host + "?x=1",
        host + "#frag"}) {
    auto h = parse_ecr_host(input);
    ASSERT_TRUE(h) << "'" << input << "'";
    EXPECT_EQ(h->host, host) << input;
    EXPECT_EQ(h->account_id, "210987654321") << input;
    EXPECT_EQ(h->region, "eu-west-1") << input;
  }
}

TEST(ParseEcrHost, LowercasesTheHost) {
  auto h = parse_ecr_host("123456789012.DKR.ECR.US-EAST-1.AMAZONAWS.COM");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->host, "123456789012.dkr.ecr.us-east-1.amazonaws.com");
  EXPECT_EQ(h->region, "us-east-1");
}

TEST(ParseEcrHost, Public) {
  for (const char* input : {"public.ecr.aws", "https://public.ecr.aws", "oci://public.ecr.aws/a/b",
                            "public.ecr.aws/nginx/nginx:latest", "PUBLIC.ECR.AWS"}) {
    auto h = parse_ecr_host(input);
    ASSERT_TRUE(h) << input;
    EXPECT_TRUE(h->is_public) << input;
    EXPECT_EQ(h->region, "us-east-1") << input;
    EXPECT_EQ(h->host, "public.ecr.aws") << input;
    EXPECT_EQ(h->account_id, "") << input;
    EXPECT_FALSE(h->fips) << input;
  }
}

TEST(ParseEcrHost, RejectsLookalikesAndOtherHosts) {
  for (const char* bad : {
           "",
           "   ",
           "https://",
           "oci:///charts",
           "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.com",
           "123456789012.dkr.ecr.us-east-1.amazonaws.com.",
           "evil.com/123456789012.dkr.ecr.us-east-1.amazonaws.com",
           "https://evil.com/123456789012.dkr.ecr.us-east-1.amazonaws.com",
           "evil123456789012.dkr.ecr.us-east-1.amazonaws.com",
           "x.123456789012.dkr.ecr.us-east-1.amazonaws.com",
           "1234567890123.dkr.ecr.us-east-1.amazonaws.com",  // 13 digits
           "12345678901.dkr.ecr.us-east-1.amazonaws.com",    // 11 digits
           "12345678901a.dkr.ecr.us-east-1.amazonaws.com",
           "123456789012.dkr.ecr.amazonaws.com",  // no region
           "123456789012.dkr.ecr..amazonaws.com",
           "123456789012.dkr.ecr.-us-east-1.amazonaws.com",
           "123456789012.dkr.ecr.us.east.1.amazonaws.com",
           "123456789012.dkr.ecr.us-east-1.amazonaws.org",
           "123456789012.dkr.ecr.us-east-1.on.aws.com",
           "123456789012.dkr.ecrfips.us-east-1.amazonaws.com",
           "123456789012.dkr_ecr.us-east-1.amazonaws.com",
           "123456789012.ecr.us-east-1.amazonaws.com",
           "123456789012.dkr.ecr.us-east-1.amazonaws.com:abc",
           "123456789012.dkr.ecr.us-east-1.amazonaws.com:123456",
           "user@123456789012.dkr.ecr.us-east-1.amazonaws.com",
           "https://123456789012.dkr.ecr.us-east-1.amazonaws.com@evil.com/",
           "ftp://123456789012.dkr.ecr.us-east-1.amazonaws.com",
           "public.ecr.aws.evil.com",
           "evilpublic.ecr.aws",
           "ecr.aws",
           "ghcr.io/org/chart",
           "registry-1.docker.io",
       }) {
    EXPECT_FALSE(parse_ecr_host(bad)) << "'" << bad << "'";
  }
}

TEST(ParseEcrHost, RejectsEmbeddedNulAndOverlongInput) {
  const std::string with_nul("123456789012.dkr.ecr.us-east-1.amazonaws.com\0.evil.com", 54);
  EXPECT_FALSE(parse_ecr_host(with_nul));
  EXPECT_FALSE(parse_ecr_host("123456789012.dkr.ecr." + std::string(300, 'a') + ".amazonaws.com"));
}

TEST(EcrRegistryHost, UsesThePartitionOfTheRegion) {
  EXPECT_EQ(ecr_registry_host("123456789012", "us-west-2", false),
            "123456789012.dkr.ecr.us-west-2.amazonaws.com");
  EXPECT_EQ(ecr_registry_host("123456789012", "us-gov-east-1", true),
            "123456789012.dkr.ecr-fips.us-gov-east-1.amazonaws.com");
  EXPECT_EQ(ecr_registry_host("123456789012", "cn-north-1", false),
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(ecr_registry_host("123456789012", "us-isob-east-1", false),
            "123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov");
  EXPECT_EQ(ecr_registry_host("123456789012", "eusc-de-east-1", false),
            "123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu");
}

TEST(EcrRegistryHost, RoundTripsThroughTheParser) {
  for (const char* region :
       {"us-east-1", "cn-northwest-1", "us-gov-west-1", "us-iso-east-1", "us-isob-east-1",
        "eu-isoe-west-1", "us-isof-east-1", "eusc-de-east-1"}) {
    for (bool fips : {false, true}) {
      auto h = parse_ecr_host(ecr_registry_host("000011112222", region, fips));
      ASSERT_TRUE(h) << region;
      EXPECT_EQ(h->account_id, "000011112222");
      EXPECT_EQ(h->region, region);
      EXPECT_EQ(h->fips, fips);
    }
  }
}

}  // namespace
}  // namespace ecrhelm::aws
