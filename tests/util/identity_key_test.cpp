// IdentityKeyer: names that differ for any difference in material, reveal
// none of it, depend on the key, and a key file made once and trusted only
// when it is private.
#include "util/identity_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <thread>
#include <vector>

#include "support/testbed.h"
#include "util/fs.h"

namespace ecrhelm {
namespace {

TEST(IdentityKeyer, EqualOnlyForEqualMaterial) {
  IdentityKeyer k = IdentityKeyer::random();
  auto base = IdentityMaterial().add("akid", "AKIA1").add("secret", Secret("s1"));
  EXPECT_EQ(k.name(base),
            k.name(IdentityMaterial().add("akid", "AKIA1").add("secret", Secret("s1"))));
  EXPECT_NE(k.name(base),
            k.name(IdentityMaterial().add("akid", "AKIA1").add("secret", Secret("s2"))));
  // Field boundaries count: no concatenation collides.
  EXPECT_NE(k.name(IdentityMaterial().add("a", "bc")), k.name(IdentityMaterial().add("ab", "c")));
  EXPECT_NE(k.name(IdentityMaterial().add("a", "b").add("c", "")),
            k.name(IdentityMaterial().add("a", "b")));
  std::string n = k.name(base);
  EXPECT_EQ(n.size(), kIdentityNameHexChars);
  EXPECT_EQ(n.find("AKIA1"), std::string::npos);
  // Another key, another name.
  EXPECT_NE(IdentityKeyer::random().name(base), n);
}

TEST(IdentityKeyer, KeyFileIsCreatedOncePrivateAndReused) {
  test::TempDir dir;
  std::string path = dir.file("sub/ecr-tokens.key");
  auto m = IdentityMaterial().add("x", "y");
  // Concurrent first uses agree on one key.
  std::vector<std::string> names(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < names.size(); ++i)
    threads.emplace_back([&, i] { names[i] = IdentityKeyer::from_key_file(path)->name(m); });
  for (auto& t : threads) t.join();
  for (const auto& n : names) EXPECT_EQ(n, names[0]);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(IdentityKeyer::from_key_file(path)->name(m), names[0]);
  // Garbage or a readable-by-others key is not used.
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  EXPECT_FALSE(IdentityKeyer::from_key_file(path));
  dir.write("bad.key", "not hex\n");
  EXPECT_FALSE(IdentityKeyer::from_key_file(dir.file("bad.key")));
}

}  // namespace
}  // namespace ecrhelm
