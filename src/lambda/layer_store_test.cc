#include "lambda/layer_store.h"

#include <gtest/gtest.h>

#include "lambda/test_helpers.h"

namespace thaw::lambda {
namespace {

using testing::TempDir;

LayerVersion Version(const std::string& name, int64_t n) {
  LayerVersion v;
  v.name = name;
  v.version = n;
  v.description = "d" + std::to_string(n);
  v.compatible_runtimes = {"provided.al2023"};
  v.compatible_architectures = {"arm64"};
  v.code_sha256 = "sha=";
  v.sha256_hex = "abcd";
  v.code_size = 42;
  v.created_date = "2024-01-01T00:00:00.000+0000";
  return v;
}

TEST(LayerStoreTest, StorageRoundTrip) {
  LayerVersion v = Version("n", 3);
  v.license_info = "MIT";
  auto back = LayerFromStorage(LayerToStorage(v));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->name, "n");
  EXPECT_EQ(back->version, 3);
  EXPECT_EQ(back->license_info, "MIT");
  EXPECT_EQ(back->compatible_architectures, std::vector<std::string>{"arm64"});
  EXPECT_EQ(back->code_size, 42);
  EXPECT_FALSE(LayerFromStorage("{").ok());
  EXPECT_FALSE(LayerFromStorage(R"({"name":"n"})").ok());
}

TEST(LayerStoreTest, KeepsTheLastNumberAfterDeletes) {
  TempDir dir;
  auto db = store::Database::Open(dir.path() + "/state.db");
  ASSERT_TRUE(db.ok());
  LayerStore store(**db);
  ASSERT_TRUE(store.Init().ok());
  ASSERT_TRUE(store.Put(Version("a", 1)).ok());
  ASSERT_TRUE(store.Put(Version("a", 2)).ok());
  ASSERT_TRUE(store.Put(Version("b", 1)).ok());
  ASSERT_TRUE(store.Delete("a", 2).ok());
  ASSERT_TRUE(store.Delete("b", 1).ok());
  auto all = store.LoadAll();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ((*all)["a"].last_version, 2);
  EXPECT_EQ((*all)["a"].versions.size(), 1u);
  EXPECT_EQ((*all)["a"].versions[1].description, "d1");
  EXPECT_EQ((*all)["b"].last_version, 1);  // no versions left, the number stays
  EXPECT_TRUE((*all)["b"].versions.empty());
}

}  // namespace
}  // namespace thaw::lambda
