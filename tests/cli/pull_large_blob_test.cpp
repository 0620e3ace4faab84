// Chart layers above the size where the digest is computed on a second
// thread while the blob streams (kBackgroundHashMinBytes): the bytes and the
// digest still agree end to end, and a blob corrupted in the registry's own
// storage is refused with no file left behind.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "oci/registry_client.h"
#include "support/registry.h"
#include "support/testbed.h"
#include "util/fs.h"
#include "util/hasher.h"

namespace ecrhelm::test {
namespace {

class LargeBlobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Not a valid gzip: pull (without --untar) stores the layer as it is.
    blob_ = random_bytes_of(size_t(oci::kBackgroundHashMinBytes) * 2 + 12345, 7);
    pushed_ = push_chart(registry_.url(), "charts/big", "3.1.4", blob_);
  }
  RunResult pull() {
    return run_ecrhelm({"pull", "oci://" + registry_.host() + "/charts/big:3.1.4", "--plain-http",
                        "-d", home_.path()},
                       {{"HOME", home_.path()}, {"AWS_EC2_METADATA_DISABLED", "true"}});
  }
  RegistryServer registry_;
  TempDir home_;
  std::string blob_;
  PushedArtifact pushed_;
};

TEST_F(LargeBlobTest, BytesAndDigestAgree) {
  auto r = pull();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string got = read_file(home_.file("big-3.1.4.tgz"), "chart");
  EXPECT_EQ(got.size(), blob_.size());
  EXPECT_TRUE(got == blob_) << "the stored chart differs from the pushed one";
  EXPECT_EQ(digest_of("sha256", got), pushed_.chart_digest);
}

TEST_F(LargeBlobTest, CorruptedInStorageIsRefusedAndLeavesNothing) {
  std::string path = registry_.blob_path(pushed_.chart_digest);
  ASSERT_TRUE(file_exists(path)) << path;
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(std::streamoff(blob_.size() - 3));  // in the last buffer handed to the hasher
    f.put(char(blob_[blob_.size() - 3] ^ 0x20));
  }
  auto r = pull();
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("blob does not match its digest: expected " + pushed_.chart_digest),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(std::filesystem::is_empty(home_.path())) << "a partial file was left";
}

}  // namespace
}  // namespace ecrhelm::test
