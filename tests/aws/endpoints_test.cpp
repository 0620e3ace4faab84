// Partitions, regions and endpoint URLs: the table botocore 1.43 resolves
// (checked against its endpoint rules), and the SDKs' environment overrides.
#include <gtest/gtest.h>

#include <functional>

#include "aws/endpoints.h"
#include "util/error.h"

namespace ecrhelm::aws {
namespace {

MapEnv env_of(std::map<std::string, std::string, std::less<>> vars) {
  return MapEnv(std::move(vars));
}

TEST(Partition, FollowsTheRegionPrefix) {
  struct Row {
    const char* region;
    const char* id;
    const char* suffix;
  };
  for (const Row& r : std::vector<Row>{
           {"us-east-1", "aws", "amazonaws.com"},
           {"eu-central-2", "aws", "amazonaws.com"},
           {"ap-southeast-7", "aws", "amazonaws.com"},
           {"cn-north-1", "aws-cn", "amazonaws.com.cn"},
           {"cn-northwest-1", "aws-cn", "amazonaws.com.cn"},
           {"us-gov-west-1", "aws-us-gov", "amazonaws.com"},
           {"us-iso-east-1", "aws-iso", "c2s.ic.gov"},
           {"us-isob-east-1", "aws-iso-b", "sc2s.sgov.gov"},
           {"eu-isoe-west-1", "aws-iso-e", "cloud.adc-e.uk"},
           {"us-isof-south-1", "aws-iso-f", "csp.hci.ic.gov"},
           {"eusc-de-east-1", "aws-eusc", "amazonaws.eu"},
           {"mars-north-1", "aws", "amazonaws.com"},  // unknown: aws
       }) {
    const Partition& p = partition_for_region(r.region);
    EXPECT_EQ(p.id, r.id) << r.region;
    EXPECT_EQ(p.dns_suffix, r.suffix) << r.region;
  }
}

TEST(Region, AcceptsRegionShapes) {
  for (const char* ok :
       {"us-west-2", "us-east-1", "cn-north-1", "us-gov-west-1", "us-iso-east-1", "us-isob-east-1",
        "eu-isoe-west-1", "us-isof-south-1", "eusc-de-east-1", "ap-southeast-7", "il-central-1"}) {
    EXPECT_TRUE(is_valid_region(ok)) << ok;
  }
}

TEST(Region, RejectsWhatCouldNotBeARegion) {
  for (const char* bad : {"", "us", "us-west", "US-WEST-2", "us-west-2.", "us--west-2",
                          "-us-west-2", "us-west-2-", "us_west_2", "us-west-x", "1us-west-2",
                          "us-west-2/evil", "evil.com/us-west-2", "us-west-2 ", "aws-global"}) {
    EXPECT_FALSE(is_valid_region(bad)) << bad;
  }
  EXPECT_FALSE(is_valid_region(std::string(100, 'a') + "-b-1"));
}

TEST(SigningName, IsTheServiceSigningName) {
  EXPECT_EQ(signing_name(Service::kSts), "sts");
  EXPECT_EQ(signing_name(Service::kEcr), "ecr");
  EXPECT_EQ(signing_name(Service::kEcrPublic), "ecr-public");
}

struct EndpointRow {
  Service service;
  const char* region;
  bool fips;
  const char* url;
};

// Each row is what botocore 1.43.11 resolves (client.meta.endpoint_url).
TEST(ResolveEndpoint, MatchesBotocoreAcrossPartitions) {
  const MapEnv env;
  for (const EndpointRow& r : std::vector<EndpointRow>{
           {Service::kSts, "us-east-1", false, "https://sts.us-east-1.amazonaws.com"},
           {Service::kSts, "us-east-1", true, "https://sts-fips.us-east-1.amazonaws.com"},
           {Service::kSts, "us-west-2", true, "https://sts-fips.us-west-2.amazonaws.com"},
           {Service::kSts, "us-gov-west-1", false, "https://sts.us-gov-west-1.amazonaws.com"},
           {Service::kSts, "us-gov-west-1", true, "https://sts.us-gov-west-1.amazonaws.com"},
           {Service::kSts, "cn-north-1", false, "https://sts.cn-north-1.amazonaws.com.cn"},
           {Service::kSts, "us-iso-east-1", false, "https://sts.us-iso-east-1.c2s.ic.gov"},
           {Service::kSts, "us-isob-east-1", false, "https://sts.us-isob-east-1.sc2s.sgov.gov"},
           {Service::kSts, "eu-isoe-west-1", false, "https://sts.eu-isoe-west-1.cloud.adc-e.uk"},
           {Service::kSts, "us-isof-south-1", false, "https://sts.us-isof-south-1.csp.hci.ic.gov"},
           {Service::kSts, "eusc-de-east-1", false, "https://sts.eusc-de-east-1.amazonaws.eu"},
           {Service::kSts, "eusc-de-east-1", true, "https://sts-fips.eusc-de-east-1.amazonaws.eu"},
           {Service::kSts, "", false, "https://sts.amazonaws.com"},
           {Service::kSts, "aws-global", false, "https://sts.amazonaws.com"},
           {Service::kEcr, "us-east-1", false, "https://api.ecr.us-east-1.amazonaws.com"},
           {Service::kEcr, "us-east-1", true, "https://ecr-fips.us-east-1.amazonaws.com"},
           {Service::kEcr, "us-gov-west-1", false, "https://api.ecr.us-gov-west-1.amazonaws.com"},
           {Service::kEcr, "us-gov-west-1", true, "https://ecr-fips.us-gov-west-1.amazonaws.com"},
           {Service::kEcr, "cn-north-1", false, "https://api.ecr.cn-north-1.amazonaws.com.cn"},
           {Service::kEcr, "cn-north-1", true, "https://api.ecr-fips.cn-north-1.amazonaws.com.cn"},
           {Service::kEcr, "us-iso-east-1", false, "https://api.ecr.us-iso-east-1.c2s.ic.gov"},
           {Service::kEcr, "us-isob-east-1", false, "https://api.ecr.us-isob-east-1.sc2s.sgov.gov"},
           {Service::kEcr, "eu-isoe-west-1", false,
            "https://api.ecr.eu-isoe-west-1.cloud.adc-e.uk"},
           {Service::kEcr, "us-isof-east-1", false,
            "https://api.ecr.us-isof-east-1.csp.hci.ic.gov"},
           {Service::kEcr, "eusc-de-east-1", false, "https://api.ecr.eusc-de-east-1.amazonaws.eu"},
           {Service::kEcrPublic, "us-east-1", false,
            "https://api.ecr-public.us-east-1.amazonaws.com"},
       }) {
    EndpointOptions opts;
    opts.fips = r.fips;
    EXPECT_EQ(resolve_endpoint(r.service, r.region, env, opts), r.url)
        << signing_name(r.service) << " " << r.region << (r.fips ? " fips" : "");
  }
}

TEST(ResolveEndpoint, EcrPublicIsAlwaysUsEast1) {
  const MapEnv env;
  const std::string expected = "https://api.ecr-public.us-east-1.amazonaws.com";
  EXPECT_EQ(resolve_endpoint(Service::kEcrPublic, "eu-west-1", env), expected);
  EXPECT_EQ(resolve_endpoint(Service::kEcrPublic, "", env), expected);
  EXPECT_EQ(resolve_endpoint(Service::kEcrPublic, "us-west-2", env, {.fips = true}), expected);
}

TEST(ResolveEndpoint, RefusesToBuildHostsFromBadRegions) {
  const MapEnv env;
  EXPECT_THROW(resolve_endpoint(Service::kEcr, "", env), Error);
  EXPECT_THROW(resolve_endpoint(Service::kEcr, "evil.com/x", env), Error);
  EXPECT_THROW(resolve_endpoint(Service::kSts, "us-east-1.evil.com", env), Error);
  try {
    resolve_endpoint(Service::kEcr, "nowhere", env);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_NE(std::string(e.what()).find("nowhere"), std::string::npos);
  }
}

TEST(ResolveEndpoint, ServiceOverrideWinsOverGlobalOverride) {
  MapEnv env = env_of({{"AWS_ENDPOINT_URL", "http://127.0.0.1:5000/"},
                       {"AWS_ENDPOINT_URL_STS", "http://127.0.0.1:6000/sts/"}});
  EXPECT_EQ(resolve_endpoint(Service::kSts, "us-east-1", env), "http://127.0.0.1:6000/sts");
  EXPECT_EQ(resolve_endpoint(Service::kEcr, "us-east-1", env), "http://127.0.0.1:5000");
  EXPECT_EQ(resolve_endpoint(Service::kEcrPublic, "us-east-1", env), "http://127.0.0.1:5000");
  env.set("AWS_ENDPOINT_URL_ECR", "https://vpce-1.api.ecr.us-east-1.vpce.amazonaws.com");
  env.set("AWS_ENDPOINT_URL_ECR_PUBLIC", "http://localhost:4566");
  EXPECT_EQ(resolve_endpoint(Service::kEcr, "us-east-1", env),
            "https://vpce-1.api.ecr.us-east-1.vpce.amazonaws.com");
  EXPECT_EQ(resolve_endpoint(Service::kEcrPublic, "us-east-1", env), "http://localhost:4566");
}

TEST(ResolveEndpoint, OverridesApplyEvenWithoutARegionOrWithFips) {
  MapEnv env = env_of({{"AWS_ENDPOINT_URL", "http://127.0.0.1:5000"}});
  EXPECT_EQ(resolve_endpoint(Service::kEcr, "", env, {.fips = true}), "http://127.0.0.1:5000");
}

TEST(ResolveEndpoint, EmptyOverridesAreUnset) {
  MapEnv env =
      env_of({{"AWS_ENDPOINT_URL_STS", ""}, {"AWS_ENDPOINT_URL", "http://127.0.0.1:5000"}});
  EXPECT_EQ(resolve_endpoint(Service::kSts, "us-east-1", env), "http://127.0.0.1:5000");
  env.set("AWS_ENDPOINT_URL", "");
  EXPECT_EQ(resolve_endpoint(Service::kSts, "us-east-1", env),
            "https://sts.us-east-1.amazonaws.com");
}

TEST(ResolveEndpoint, IgnoreConfiguredEndpointUrls) {
  MapEnv env = env_of({{"AWS_ENDPOINT_URL", "http://127.0.0.1:5000"},
                       {"AWS_ENDPOINT_URL_ECR", "http://127.0.0.1:6000"},
                       {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE"}});
  EXPECT_EQ(resolve_endpoint(Service::kEcr, "us-west-2", env),
            "https://api.ecr.us-west-2.amazonaws.com");
  env.set("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false");
  EXPECT_EQ(resolve_endpoint(Service::kEcr, "us-west-2", env), "http://127.0.0.1:6000");
}

TEST(FipsFromEnv, OnlyTrueCaseInsensitive) {
  EXPECT_FALSE(fips_from_env(MapEnv()));
  EXPECT_TRUE(fips_from_env(env_of({{"AWS_USE_FIPS_ENDPOINT", "true"}})));
  EXPECT_TRUE(fips_from_env(env_of({{"AWS_USE_FIPS_ENDPOINT", "True"}})));
  EXPECT_FALSE(fips_from_env(env_of({{"AWS_USE_FIPS_ENDPOINT", "false"}})));
  EXPECT_FALSE(fips_from_env(env_of({{"AWS_USE_FIPS_ENDPOINT", "1"}})));
  EXPECT_FALSE(fips_from_env(env_of({{"AWS_USE_FIPS_ENDPOINT", ""}})));
}

TEST(RegionFromEnv, AwsRegionThenDefaultRegion) {
  EXPECT_EQ(region_from_env(MapEnv()), std::nullopt);
  EXPECT_EQ(region_from_env(env_of({{"AWS_DEFAULT_REGION", "eu-west-1"}})), "eu-west-1");
  EXPECT_EQ(
      region_from_env(env_of({{"AWS_REGION", "us-west-2"}, {"AWS_DEFAULT_REGION", "eu-west-1"}})),
      "us-west-2");
  EXPECT_EQ(region_from_env(env_of({{"AWS_REGION", ""}, {"AWS_DEFAULT_REGION", "eu-west-1"}})),
            "eu-west-1");
  EXPECT_EQ(region_from_env(env_of({{"AWS_REGION", ""}, {"AWS_DEFAULT_REGION", ""}})),
            std::nullopt);
}

}  // namespace
}  // namespace ecrhelm::aws

// Issue 18, defect 11: a bad endpoint or region names the variable it came from.
namespace ecrhelm::aws {
namespace {

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

TEST(EndpointEnv, NonHttpEndpointUrlIsRefusedNamingTheVariable) {
  auto e = env_of({{"AWS_ENDPOINT_URL", "file:///etc/passwd"}});
  std::string msg = error_of([&] { resolve_endpoint(Service::kSts, "us-west-2", e, {}); });
  EXPECT_NE(msg.find("AWS_ENDPOINT_URL "), std::string::npos) << msg;
  EXPECT_NE(msg.find("file:"), std::string::npos) << msg;
  auto e2 = env_of({{"AWS_ENDPOINT_URL_ECR", "ftp://x"}});
  msg = error_of([&] { resolve_endpoint(Service::kEcr, "us-west-2", e2, {}); });
  EXPECT_NE(msg.find("AWS_ENDPOINT_URL_ECR"), std::string::npos) << msg;
  auto e3 = env_of({{"AWS_ENDPOINT_URL", "https:///path-only"}});
  EXPECT_FALSE(error_of([&] { resolve_endpoint(Service::kSts, "us-west-2", e3, {}); }).empty());
  auto ok = env_of({{"AWS_ENDPOINT_URL", "HTTP://127.0.0.1:5000/"}});
  EXPECT_EQ(resolve_endpoint(Service::kSts, "us-west-2", ok, {}), "HTTP://127.0.0.1:5000");
}

TEST(EndpointEnv, MalformedRegionIsRefusedNamingTheVariable) {
  std::string msg = error_of([&] { region_from_env(env_of({{"AWS_REGION", "us west 2"}})); });
  EXPECT_NE(msg.find("AWS_REGION='us west 2'"), std::string::npos) << msg;
  msg = error_of([&] { region_from_env(env_of({{"AWS_DEFAULT_REGION", "x/../y"}})); });
  EXPECT_NE(msg.find("AWS_DEFAULT_REGION"), std::string::npos) << msg;
  EXPECT_EQ(region_from_env(env_of({{"AWS_REGION", " us-west-2 "}})), "us-west-2");
}

}  // namespace
}  // namespace ecrhelm::aws
