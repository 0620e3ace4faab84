// ARNs: the generic split (the resource keeps its ':' and '/'), the account
// of an STS answer's ARN, IAM role ARNs (partition, 12-digit account, path)
// and whether GetCallerIdentity's ARN is a given role.
#include "aws/arn.h"

#include <gtest/gtest.h>

namespace ecrhelm::aws {
namespace {

TEST(Arn, SplitsSixFieldsAndKeepsTheResourceWhole) {
  auto a = parse_arn("arn:aws:logs:us-east-1:123456789012:log-group:/x/y:*");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->partition, "aws");
  EXPECT_EQ(a->service, "logs");
  EXPECT_EQ(a->region, "us-east-1");
  EXPECT_EQ(a->account, "123456789012");
  EXPECT_EQ(a->resource, "log-group:/x/y:*");
  EXPECT_FALSE(parse_arn("arn:aws:iam::123456789012"));
  EXPECT_FALSE(parse_arn("nra:aws:iam::123456789012:role/x"));
  EXPECT_FALSE(parse_arn(""));
}

TEST(Arn, AccountFromArn) {
  EXPECT_EQ(account_from_arn("arn:aws-cn:iam::111122223333:role/x"), "111122223333");
  EXPECT_EQ(account_from_arn("arn:aws:sts::123456789012:assumed-role/x/y"), "123456789012");
  EXPECT_EQ(account_from_arn("nope"), "");
}

TEST(RoleArn, PartitionAccountAndTheLastPathSegment) {
  auto r = parse_role_arn("arn:aws-us-gov:iam::123456789012:role/team/a/argocd-repo-server");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->partition, "aws-us-gov");
  EXPECT_EQ(r->account, "123456789012");
  EXPECT_EQ(r->name, "argocd-repo-server");
  EXPECT_EQ(parse_role_arn("arn:aws:iam::123456789012:role/plain")->name, "plain");
}

TEST(RoleArn, WhatIsNotARoleArn) {
  for (const char* bad :
       {"arn:aws:iam::123456789012:user/x", "arn:aws:sts::123456789012:role/x",
        "arn:aws:iam:us-east-1:123456789012:role/x", "arn::iam::123456789012:role/x",
        "arn:aws:iam::12345678901:role/x", "arn:aws:iam::12345678901a:role/x",
        "arn:aws:iam::123456789012:role/", "arn:aws:iam::123456789012:role/x/",
        "arn:aws:iam::123456789012:role/x:y", "role/x", ""}) {
    EXPECT_FALSE(parse_role_arn(bad)) << bad;
  }
}

TEST(RoleArn, TheCallerIsTheRoleThroughASessionOrItsOwnArn) {
  auto role = *parse_role_arn("arn:aws:iam::123456789012:role/path/ecr-reader");
  EXPECT_TRUE(caller_is_role("arn:aws:sts::123456789012:assumed-role/ecr-reader/botocore-1", role));
  EXPECT_TRUE(caller_is_role("arn:aws:iam::123456789012:role/ecr-reader", role));
  EXPECT_FALSE(caller_is_role("arn:aws:sts::210987654321:assumed-role/ecr-reader/s", role));
  EXPECT_FALSE(caller_is_role("arn:aws:sts::123456789012:assumed-role/ecr-reader-2/s", role));
  EXPECT_FALSE(caller_is_role("arn:aws:iam::123456789012:user/ecr-reader", role));
  EXPECT_FALSE(caller_is_role("not an arn", role));
}

}  // namespace
}  // namespace ecrhelm::aws
